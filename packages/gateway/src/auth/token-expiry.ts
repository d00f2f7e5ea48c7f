/** setTimeout's longest delay (about 24.8 days); longer waits are chained. */
const MAX_DELAY_MS = 2 ** 31 - 1

/**
 * Calls `onExpired` once when `expiresAtMs` is reached (at once if it has passed). Returns
 * the cancel function; a token without expiry never fires.
 */
export function onTokenExpiry(expiresAtMs: number | undefined, onExpired: () => void): () => void {
  if (expiresAtMs === undefined) return () => {}
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    const left = expiresAtMs - Date.now()
    if (left <= 0) {
      timer = undefined
      onExpired()
      return
    }
    timer = setTimeout(arm, Math.min(left, MAX_DELAY_MS))
    timer.unref()
  }
  arm()
  return () => clearTimeout(timer)
}
