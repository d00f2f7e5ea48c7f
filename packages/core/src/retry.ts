import { SyncError } from './errors.js'

/** Options for {@link backoffDelayMs}. */
export interface BackoffOptions {
  /** The delay window of the first retry. */
  baseDelayMs: number
  /** The largest delay window. */
  maxDelayMs: number
}

/** The backoff for retries against the store (watch re-arms, reads, opening it). */
export const STORE_BACKOFF: Readonly<BackoffOptions> = { baseDelayMs: 50, maxDelayMs: 5_000 }

/**
 * The delay before retry `attempt` (0-based): exponential, capped, with "equal jitter" (a
 * random point in the upper half of the window). The jitter spreads the clients or
 * watches that failed together so they do not come back in lockstep; keeping the lower
 * half avoids a tight loop of immediate retries.
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt, 30))
  return cap / 2 + random() * (cap / 2)
}

/** Options for {@link retrying}. */
export interface RetryingOptions {
  /** Stops retrying: the call rejects with the last error. */
  signal?: AbortSignal
  /** @default STORE_BACKOFF */
  backoff?: BackoffOptions
  /** Give up after this many attempts, rejecting with the last error. @default Infinity */
  maxAttempts?: number
  /** Told of each retryable failure before the wait (for logs and metrics). */
  onRetry?: (error: SyncError, attempt: number) => void
}

/**
 * Runs `attempt` until it succeeds, waiting {@link backoffDelayMs} after each
 * {@link SyncError} whose code is retryable (`RETRYABLE_CODES`). Anything else is rethrown
 * at once, as it was thrown.
 */
export async function retrying<T>(
  attempt: () => Promise<T>,
  options: RetryingOptions = {},
): Promise<T> {
  const { signal, backoff = STORE_BACKOFF, maxAttempts = Infinity } = options
  const aborted = (): boolean => signal?.aborted === true
  for (let n = 0; ; n++) {
    try {
      return await attempt()
    } catch (error) {
      if (!(error instanceof SyncError) || !error.retryable) throw error
      if (n + 1 >= maxAttempts || aborted()) throw error
      options.onRetry?.(error, n)
      await wait(backoffDelayMs(n, backoff), signal)
      if (aborted()) throw error
    }
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}
