import { describe, expect, test } from 'vitest'
import { backoffDelayMs } from './backoff.js'

describe('backoffDelayMs', () => {
  const options = { baseDelayMs: 100, maxDelayMs: 5000 }

  test('doubles per attempt up to the cap', () => {
    const top = (attempt: number) => backoffDelayMs(attempt, options, () => 1)
    expect([0, 1, 2, 3, 10, 100].map(top)).toEqual([100, 200, 400, 800, 5000, 5000])
  })

  test('jitter keeps each delay in the upper half of its window', () => {
    expect(backoffDelayMs(3, options, () => 0)).toBe(400)
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelayMs(3, options)
      expect(delay).toBeGreaterThanOrEqual(400)
      expect(delay).toBeLessThanOrEqual(800)
    }
  })
})
