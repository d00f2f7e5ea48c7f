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
