import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { createSubscriptionSet } from './subscription-set.js'

describe('subscription set', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  const make = () => {
    const onChange = vi.fn()
    const set = createSubscriptionSet({ lingerMs: 1000, batchDelayMs: 10, onChange })
    return { set, onChange }
  }

  test('100 components mounting in one task are reported as one change', () => {
    const { set, onChange } = make()
    for (let i = 0; i < 100; i++) set.add('quotes', `q${i % 10}`)
    expect(onChange).not.toHaveBeenCalled()
    vi.advanceTimersByTime(10)
    expect(onChange).toHaveBeenCalledTimes(1)
    expect(set.entries()).toHaveLength(10)
    expect(set.entries().every((e) => e.refs === 10)).toBe(true)
  })

  test('a record lingers after its last release; a remount within the linger changes nothing', () => {
    const { set, onChange } = make()
    const release = set.add('quotes', 'a')
    vi.advanceTimersByTime(10)
    onChange.mockClear()

    release()
    vi.advanceTimersByTime(500)
    const again = set.add('quotes', 'a')
    vi.advanceTimersByTime(5000)
    expect(onChange).not.toHaveBeenCalled()
    expect(set.entries()).toHaveLength(1)

    again()
    vi.advanceTimersByTime(999)
    expect(set.entries()).toHaveLength(1)
    vi.advanceTimersByTime(1 + 10)
    expect(set.entries()).toHaveLength(0)
    expect(onChange).toHaveBeenCalledTimes(1)
  })

  test('release is idempotent and counts invalidating references', () => {
    const { set } = make()
    const r1 = set.add('quotes', 'a', { invalidate: true })
    set.add('quotes', 'a')
    r1()
    r1()
    const entry = set.entries()[0]!
    expect(entry.refs).toBe(1)
    expect(entry.invalidators).toBe(0)
  })

  test('releases from before clear() are ignored', () => {
    const { set } = make()
    const old = set.add('quotes', 'a')
    set.clear()
    set.add('quotes', 'a')
    old()
    vi.advanceTimersByTime(5000)
    expect(set.entries()[0]?.refs).toBe(1)
  })

  test('after a report, id changes and linger expiries within the window are reported once', () => {
    const onChange = vi.fn()
    const set = createSubscriptionSet({
      lingerMs: 50,
      batchDelayMs: 10,
      batchWindowMs: 250,
      onChange,
    })
    let release = set.add('quotes', 'q0')
    vi.advanceTimersByTime(10)
    expect(onChange).toHaveBeenCalledTimes(1)
    // Four id changes 30 ms apart; each old id lingers 50 ms and then leaves.
    for (const id of ['q1', 'q2', 'q3', 'q4']) {
      release()
      release = set.add('quotes', id)
      vi.advanceTimersByTime(30)
    }
    vi.advanceTimersByTime(500)
    expect(onChange).toHaveBeenCalledTimes(2)
    expect(set.entries().map((e) => e.id)).toEqual(['q4'])
  })
})
