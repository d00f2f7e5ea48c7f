import { describe, expect, it } from 'vitest'
import { RETRYABLE_CODES, SyncError } from './errors.js'
import { STORE_BACKOFF, backoffDelayMs, retrying } from './retry.js'

describe('retry policy', () => {
  it('retries a store that is away or busy or a limit that passes, and nothing the caller must fix', () => {
    const retryable = Object.entries(RETRYABLE_CODES)
      .filter(([, yes]) => yes)
      .map(([code]) => code)
      .sort()
    expect(retryable).toEqual([
      'data_dir_unavailable',
      'rate_limited',
      'store_not_found',
      'store_unavailable',
      'transaction_conflict',
      'transaction_timeout',
    ])
    expect(new SyncError('store_unavailable', 'x').retryable).toBe(true)
    expect(new SyncError('internal', 'x').retryable).toBe(false)
  })

  it('doubles the window per attempt up to the cap, the delay in its upper half', () => {
    const top = (attempt: number) => backoffDelayMs(attempt, STORE_BACKOFF, () => 1)
    expect([0, 1, 2, 3, 10, 100].map(top)).toEqual([50, 100, 200, 400, 5000, 5000])
    expect(backoffDelayMs(3, STORE_BACKOFF, () => 0)).toBe(200)
  })

  it('retries a retryable failure until it succeeds, and rejects at once otherwise', async () => {
    let calls = 0
    const flaky = () =>
      ++calls < 3
        ? Promise.reject(new SyncError('store_unavailable', 'away'))
        : Promise.resolve('ok')
    const backoff = { baseDelayMs: 1, maxDelayMs: 1 }
    await expect(retrying(flaky, { backoff })).resolves.toBe('ok')
    expect(calls).toBe(3)
    calls = 0
    const bug = new Error('bug')
    const broken = () => (++calls, Promise.reject(bug))
    await expect(retrying(broken, { backoff })).rejects.toBe(bug)
    expect(calls).toBe(1)
  })
})
