/** Percentiles of a list of samples (milliseconds), rounded to microseconds. */
export function stats(samples: number[]): Record<string, number> {
  const sorted = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
  const round = (x: number): number => Math.round(x * 1000) / 1000
  return {
    count: sorted.length,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) ?? NaN),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  }
}

/**
 * Log-spaced bins 1 % wide from 1 µs to about 6 hours: a percentile read from them is
 * within 1 % of the exact one, and adding two rounds' histograms costs BINS additions.
 */
const BIN_BASE = Math.log(1.01)
const BIN_FLOOR_MS = 0.001
const BINS = 2400

const binOf = (ms: number): number =>
  ms <= BIN_FLOOR_MS
    ? 0
    : Math.min(BINS - 1, Math.floor(Math.log(ms / BIN_FLOOR_MS) / BIN_BASE) + 1)
/** The upper edge of a bin, in milliseconds. */
const edgeOf = (bin: number): number => BIN_FLOOR_MS * Math.exp(bin * BIN_BASE)

function histogram(samples: readonly number[]): Uint32Array {
  const bins = new Uint32Array(BINS)
  for (const x of samples) if (Number.isFinite(x)) bins[binOf(x)] = bins[binOf(x)]! + 1
  return bins
}

/** The `q` quantile of a histogram, as stats() picks it: sorted[floor(q × count)]. */
function quantileOf(bins: Uint32Array, count: number, q: number): number {
  const rank = Math.min(count - 1, Math.floor(q * count))
  let seen = 0
  for (let bin = 0; bin < BINS; bin++) {
    seen += bins[bin]!
    if (seen > rank) return edgeOf(bin)
  }
  return NaN
}

export interface RatioInterval {
  /** a's quantile over b's, from the exact quantiles of every sample. */
  ratio: number
  /** The 2.5th and 97.5th percentiles of the ratio over the bootstrap draws. */
  low: number
  high: number
  draws: number
  /** Runs per side (fresh servers): 1 means the interval says nothing of run-to-run spread. */
  runs: number
}

/** One server's samples: runs (each a fresh server), each of rounds, each of samples. */
export type RunsOfRounds = readonly (readonly (readonly number[])[])[]

/**
 * How sure a ratio of two servers' latency percentiles is, when the samples come in
 * rounds: every stream's receipt of one write shares that write, its collector pauses
 * and its scheduling, so one slow round moves hundreds of samples at once and the
 * samples are not independent. Neither are the rounds of one run: a fresh server's heap,
 * its place in memory and the machine's state hold for the whole run. So the bootstrap
 * is two-level: for each draw and each server, it picks as many runs as there are, with
 * replacement, and within each picked run as many of its rounds, with replacement; reads
 * the quantile `q` of the pooled samples; and reports the central 95 % of the ratio over
 * `draws` draws. An interval that contains 1 means the runs cannot tell the two servers
 * apart at `q`. With one run per server the interval knows nothing of how much a second
 * run would differ; it is narrower than the truth.
 */
export function bootstrapRatio(
  a: RunsOfRounds,
  b: RunsOfRounds,
  q: number,
  options: { draws?: number; random?: () => number } = {},
): RatioInterval {
  const draws = options.draws ?? 2000
  const random = options.random ?? Math.random
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  const exact = (runs: RunsOfRounds): number =>
    stats(runs.flat(2))[`p${Math.round(q * 100)}`] ?? NaN
  const side = (runs: RunsOfRounds) =>
    runs.map((rounds) =>
      rounds.map((round) => ({
        bins: histogram(round),
        count: round.filter(Number.isFinite).length,
      })),
    )
  const sides = [side(a), side(b)]
  const sum = new Uint32Array(BINS)
  const drawQuantile = (runs: ReturnType<typeof side>): number => {
    sum.fill(0)
    let count = 0
    for (let r = 0; r < runs.length; r++) {
      const rounds = pick(runs)
      for (let i = 0; i < rounds.length; i++) {
        const round = pick(rounds)
        const bins = round.bins
        for (let bin = 0; bin < BINS; bin++) sum[bin] = sum[bin]! + bins[bin]!
        count += round.count
      }
    }
    return quantileOf(sum, count, q)
  }
  const ratios = Array.from(
    { length: draws },
    () => drawQuantile(sides[0]!) / drawQuantile(sides[1]!),
  )
  ratios.sort((x, y) => x - y)
  const round = (x: number): number => Math.round(x * 1000) / 1000
  return {
    ratio: round(exact(a) / exact(b)),
    low: round(ratios[Math.floor(0.025 * draws)]!),
    high: round(ratios[Math.min(draws - 1, Math.floor(0.975 * draws))]!),
    draws,
    runs: Math.min(a.length, b.length),
  }
}
