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

const here = path.dirname(fileURLToPath(import.meta.url))
const results = JSON.parse(
  fs.readFileSync(path.join(here, 'results', 'fanout-vs-nchan.json'), 'utf8'),
) as { runs: FanoutRun[] }
const ms = (x: number | undefined): string =>
  x === undefined ? '—' : `${x.toFixed(x < 10 ? 2 : 0)} ms`
const n = (x: number): string => x.toLocaleString('en-US')
const pair = (
  streams: number,
): { gateway: FanoutRun | undefined; nchan: FanoutRun | undefined } => ({
  gateway: results.runs.find((r) => r.target === 'gateway' && r.streams === streams),
  nchan: results.runs.find((r) => r.target === 'nchan' && r.streams === streams),
})
const sizes = [...new Set(results.runs.map((r) => r.streams))]
const delivered = (r?: FanoutRun): string =>
  r === undefined ? '—' : `${n(r.delivery.delivered)}/${n(r.delivery.expected)}`

console.log(
  '| streams | gateway p50 | gateway p99 | nchan p50 | nchan p99 | p99 ratio | RSS/stream gateway | RSS/stream nchan | delivered gateway / nchan |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
for (const streams of sizes) {
  const { gateway, nchan } = pair(streams)
  const g = gateway?.latencyMs['p99']
  const c = nchan?.latencyMs['p99']
  const kib = (r?: FanoutRun): string =>
    r?.memory.rssGrowthPerStreamKiB == null ? '—' : `${r.memory.rssGrowthPerStreamKiB} KiB`
  console.log(
    `| ${n(streams)} | ${ms(gateway?.latencyMs['p50'])} | ${ms(g)} | ${ms(nchan?.latencyMs['p50'])} | ${ms(c)} | ` +
      `${g !== undefined && c !== undefined ? (g / c).toFixed(2) : '—'} | ${kib(gateway)} | ${kib(nchan)} | ` +
      `${delivered(gateway)} / ${delivered(nchan)} |`,
  )
}

console.log(
  '\n| streams | server | open all streams | RSS idle (growth) | burst: events delivered / written | events/s | load (1 min) after |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const r of results.runs.filter((run) => run.burst !== null)) {
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`
  console.log(
    `| ${n(r.streams)} | ${r.target} | ${(r.open.ms / 1000).toFixed(1)} s | ${mib(r.memory.rssIdleBytes)} ` +
      `(+${mib(r.memory.rssIdleBytes - r.memory.rssBeforeBytes)}) | ${n(r.burst!.eventsDelivered)} / ${n(r.burst!.eventsExpected)} | ` +
      `${n(r.burst!.eventsPerSecond)} | ${r.loadAverage[0]} |`,
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
