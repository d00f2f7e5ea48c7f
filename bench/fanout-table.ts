/**
 * Prints the markdown tables of docs/benchmarks.md's fan-out section from
 * bench/results/fanout-vs-nchan.json, so that the document shows exactly one run.
 *
 *   node --conditions=@fdb-live/source --import tsx bench/fanout-table.ts
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FanoutRun } from './fanout-run.js'
import type { RatioInterval } from './stats.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const results = JSON.parse(
  fs.readFileSync(path.join(here, 'results', 'fanout-vs-nchan.json'), 'utf8'),
) as {
  runs: FanoutRun[]
  /** Since the bootstrap intervals (older results have none). */
  comparisons?: { workers: number; streams: number; p99: RatioInterval }[]
  memoryFit?: {
    target: string
    workers: number
    sizes: number[]
    idle: { fixedMiB: number; perStreamKiB: number }
    settled: { fixedMiB: number; perStreamKiB: number } | null
  }[]
}
// Runs from before --workers have no `workers`: they had one.
for (const run of results.runs) run.workers ??= 1
const ms = (x: number | undefined): string =>
  x === undefined ? '—' : `${x.toFixed(x < 10 ? 2 : 0)} ms`
const n = (x: number): string => x.toLocaleString('en-US')
const pair = (
  streams: number,
  workers: number,
): { gateway: FanoutRun | undefined; nchan: FanoutRun | undefined } => ({
  gateway: results.runs.find(
    (r) => r.target === 'gateway' && r.streams === streams && r.workers === workers,
  ),
  nchan: results.runs.find(
    (r) => r.target === 'nchan' && r.streams === streams && r.workers === workers,
  ),
})
const cells = [
  ...new Map(results.runs.map((r) => [`${r.workers}/${r.streams}`, r] as const)).values(),
].map((r) => ({ workers: r.workers, streams: r.streams }))
const delivered = (r?: FanoutRun): string =>
  r === undefined ? '—' : `${n(r.delivery.delivered)}/${n(r.delivery.expected)}`

console.log(
  '| workers | streams | gateway p50 | gateway p99 | nchan p50 | nchan p99 | p99 ratio (95 % interval) | RSS/stream gateway: 1 s after opening (settled) | RSS/stream nchan: 1 s after opening (settled) | delivered gateway / nchan |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
for (const { workers, streams } of cells) {
  const { gateway, nchan } = pair(streams, workers)
  const g = gateway?.latencyMs['p99']
  const c = nchan?.latencyMs['p99']
  const interval = results.comparisons?.find((x) => x.workers === workers && x.streams === streams)
  const ratio =
    g === undefined || c === undefined
      ? '—'
      : (g / c).toFixed(2) +
        (interval === undefined
          ? ''
          : ` (${interval.p99.low.toFixed(2)}–${interval.p99.high.toFixed(2)})`)
  const kib = (r?: FanoutRun): string =>
    r?.memory.rssGrowthPerStreamKiB == null
      ? '—'
      : `${r.memory.rssGrowthPerStreamKiB} KiB` +
        (r.memory.rssSettledGrowthPerStreamKiB == null
          ? ''
          : ` (${r.memory.rssSettledGrowthPerStreamKiB} KiB)`)
  console.log(
    `| ${workers} | ${n(streams)} | ${ms(gateway?.latencyMs['p50'])} | ${ms(g)} | ${ms(nchan?.latencyMs['p50'])} | ${ms(c)} | ` +
      `${ratio} | ${kib(gateway)} | ${kib(nchan)} | ` +
      `${delivered(gateway)} / ${delivered(nchan)} |`,
  )
}

console.log(
  '\n| workers | streams | server | open all streams | RSS 1 s after opening (growth) | RSS settled (growth) | events/s fanning out one write | CPU ms per 1k events | burst: events delivered / written | load (1 min) after |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
for (const r of results.runs.filter((run) => run.burst !== null)) {
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`
  const fmt = (x: number | undefined): string => (x === undefined ? '—' : n(x))
  const settled = (run: FanoutRun): string => {
    const bytes = run.memory.rssSettledBytes
    if (bytes == null) return '—'
    const growth = bytes - run.memory.rssBeforeBytes
    return `${mib(bytes)} (${growth < 0 ? '−' : '+'}${mib(Math.abs(growth))})`
  }
  console.log(
    `| ${r.workers} | ${n(r.streams)} | ${r.target} | ${(r.open.ms / 1000).toFixed(1)} s | ${mib(r.memory.rssIdleBytes)} ` +
      `(+${mib(r.memory.rssIdleBytes - r.memory.rssBeforeBytes)}) | ${settled(r)} | ${fmt(r.fanoutEventsPerSecond)} | ` +
      `${fmt(r.cpuMsPerKiloEvent)} | ${n(r.burst!.eventsDelivered)} / ${n(r.burst!.eventsExpected)} | ${r.loadAverage[0]} |`,
  )
}

console.log('\n| one stream, 200 writes | p50 | p90 | p99 | max | the write itself (p50) |')
console.log('| --- | --- | --- | --- | --- | --- |')
for (const r of results.runs.filter((run) => run.streams === 1)) {
  console.log(
    `| ${r.target} | ${ms(r.latencyMs['p50'])} | ${ms(r.latencyMs['p90'])} | ${ms(r.latencyMs['p99'])} | ` +
      `${ms(r.latencyMs['max'])} | ${ms(r.writeMs['p50'])} |`,
  )
}

// Write start → first receipt (the fixed latency in front of the fan-out) and first →
// last receipt (the fan-out itself), p50 over the rounds; missing in older results.
if (results.runs.some((r) => r.firstReachedMs !== undefined)) {
  console.log(
    '\n| workers | streams | gateway: write → first receipt | gateway: first → last receipt | nchan: write → first receipt | nchan: first → last receipt |',
  )
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const { workers, streams } of cells.filter((c) => c.streams > 1)) {
    const { gateway, nchan } = pair(streams, workers)
    const two = (r?: FanoutRun): string =>
      r?.firstReachedMs === undefined
        ? '— | —'
        : `${ms(r.firstReachedMs['p50'])} | ${ms(r.spreadMs['p50'])}`
    console.log(`| ${workers} | ${n(streams)} | ${two(gateway)} | ${two(nchan)} |`)
  }
}

if (results.memoryFit !== undefined) {
  console.log(
    '\n| server | workers | sizes | RSS growth 1 s after opening: fixed + per stream | settled: fixed + per stream |',
  )
  console.log('| --- | --- | --- | --- | --- |')
  const line = (fit: { fixedMiB: number; perStreamKiB: number } | null): string =>
    fit === null ? '—' : `${fit.fixedMiB} MiB + ${fit.perStreamKiB} KiB × streams`
  for (const fit of results.memoryFit)
    console.log(
      `| ${fit.target} | ${fit.workers} | ${fit.sizes.map(n).join(', ')} | ${line(fit.idle)} | ${line(fit.settled)} |`,
    )
}

const heaps = results.runs.filter((r) => r.memory.gatewayHeap !== undefined)
if (heaps.length > 0) {
  console.log(
    '\n| streams | gateway heap (MiB): young generation / old space / used, before → 1 s after opening → settled |',
  )
  console.log('| --- | --- |')
  for (const r of heaps) {
    const h = r.memory.gatewayHeap!
    const one = (x: typeof h.before): string =>
      x === null ? '—' : `${x.newSpaceMiB} / ${x.oldSpaceMiB} / ${x.usedMiB}`
    console.log(`| ${n(r.streams)} | ${one(h.before)} → ${one(h.idle)} → ${one(h.settled)} |`)
  }
}
