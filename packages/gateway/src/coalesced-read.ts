/**
 * Shares one read among the callers of a tick: the first call schedules `read` for the
 * next turn of the event loop and every call until then gets that same result. The read
 * starts after every caller sharing it arrived, so each gets an answer no older than its
 * own call, as if it had read alone. (Sharing a read already in flight would not: it may
 * have read before the caller came.) Thousands of streams opening together then cost one
 * store transaction per tick instead of one each.
 */
export function coalescedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let next: Promise<T> | undefined
  return () => {
    next ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      next = undefined
      return read()
    })
    return next
  }
}
