import { describe, expect, it } from 'vitest'
import { seeded } from './seeded.js'
import { bootstrapRatio, stats } from './stats.js'

/** `rounds` rounds of `streams` receipts: a per-round delay (the round's luck) plus spread. */
function fanout(random: () => number, rounds: number, streams: number, scale: number): number[][] {
  return Array.from({ length: rounds }, () => {
    const roundDelay = random() < 0.05 ? 20 + random() * 40 : random() * 5
    return Array.from(
      { length: streams },
      (_, i) => scale * (roundDelay + (i / streams) * 50 + random()),
    )
  })
}

describe('bootstrapRatio (one run per server: a round bootstrap)', () => {
  it('gives the exact p99 ratio and an interval around it', () => {
    const random = seeded(1)
    const a = fanout(random, 60, 500, 1)
    const b = fanout(random, 60, 500, 1)
    const r = bootstrapRatio([a], [b], 0.99, { random: seeded(2), draws: 500 })
    expect(r.ratio).toBeCloseTo(stats(a.flat())['p99']! / stats(b.flat())['p99']!, 3)
    expect(r.low).toBeLessThanOrEqual(r.ratio * 1.01)
    expect(r.high).toBeGreaterThanOrEqual(r.ratio * 0.99)
  })

  it('cannot tell two samples of the same server apart: the interval holds 1', () => {
    const random = seeded(3)
    const a = fanout(random, 60, 500, 1)
    const b = fanout(random, 60, 500, 1)
    const r = bootstrapRatio([a], [b], 0.99, { random: seeded(4), draws: 500 })
    expect(r.low).toBeLessThan(1)
    expect(r.high).toBeGreaterThan(1)
  })

  it('tells a server 1.5 times slower apart: the interval excludes 1 and holds 1.5', () => {
    const random = seeded(5)
    const slow = fanout(random, 60, 500, 1.5)
    const fast = fanout(random, 60, 500, 1)
    const r = bootstrapRatio([slow], [fast], 0.99, { random: seeded(6), draws: 500 })
    expect(r.low).toBeGreaterThan(1)
    expect(r.low).toBeLessThan(1.5)
    expect(r.high).toBeGreaterThan(1.5)
  })

  it('reads percentiles from its bins within 1 %', () => {
    // One round, one draw: the drawn quantile is the binned quantile of that round.
    const random = seeded(7)
    const samples = Array.from({ length: 10_000 }, () => 0.01 + random() * 300)
    const r = bootstrapRatio([[samples]], [[[100]]], 0.99, { draws: 1, random })
    const exact = stats(samples)['p99']!
    expect(r.low * 100).toBeGreaterThanOrEqual(exact * 0.99)
    expect(r.low * 100).toBeLessThanOrEqual(exact * 1.01)
  })
})

describe('bootstrapRatio over several runs', () => {
  it('widens the interval when whole runs differ, as a round bootstrap of one run cannot', () => {
    // Three runs per server; one of the first server's runs is 30 % slower throughout.
    const random = seeded(8)
    const a = [fanout(random, 40, 300, 1), fanout(random, 40, 300, 1.3), fanout(random, 40, 300, 1)]
    const b = [fanout(random, 40, 300, 1), fanout(random, 40, 300, 1), fanout(random, 40, 300, 1)]
    const pooled = bootstrapRatio(a, b, 0.99, { random: seeded(9), draws: 400 })
    const oneRun = bootstrapRatio([a[0]!], [b[0]!], 0.99, { random: seeded(9), draws: 400 })
    expect(pooled.runs).toBe(3)
    expect(pooled.high - pooled.low).toBeGreaterThan(oneRun.high - oneRun.low)
    expect(pooled.high).toBeGreaterThan(1.2)
  })
})
