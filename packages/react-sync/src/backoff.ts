/** Options for {@link backoffDelayMs}. */
export interface BackoffOptions {
  baseDelayMs: number
  maxDelayMs: number
}

/**
 * The delay before reconnect attempt `attempt` (0-based): exponential, capped, with "equal
 * jitter" (a random point in the upper half). The jitter spreads clients that lost the same
 * gateway so they do not come back in lockstep (resync storms); keeping the lower half
 * avoids a tight loop of immediate retries.
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt, 30))
  return cap / 2 + random() * (cap / 2)
}
