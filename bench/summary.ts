/**
 * The closing lines of `pnpm bench`: each target of issue 12 with what bench/results/*.json
 * measured (the date and load average of that run too), against its goal. Reports what is
 * there; a scenario that was not run says so.
 *
 *   node --conditions=@fdb-live/source --import tsx bench/summary.ts
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FanoutRun } from './fanout-run.js'
import type { RatioInterval } from './stats.js'

const here = path.dirname(fileURLToPath(import.meta.url))
type Stats = Record<string, number>
interface Run {
  date: string
  loadAverage?: { before: number[] }
}
interface ManyPhase {
  latencyMs: Stats
  lost: number
  reordered: number
  connections: number
  requestsPerSecond: number
  gatewayRss: { peakBytes: number }
}
interface Results {
  'embedded-store.json': Run & { crossProcessWatch: { commitStartToFiredMs: Stats } }
  'fanout-vs-nchan.json': Run & {
    runs: FanoutRun[]
    knee?: Record<string, { note: string }>
    skipped?: Record<string, string>
    comparisons?: { workers: number; streams: number; p99: RatioInterval }[]
    memoryFit?: {
      target: string
      workers: number
      idle: { fixedMiB: number; perStreamKiB: number }
      settled: { fixedMiB: number; perStreamKiB: number } | null
    }[]
  }
  'many-records.json': Run & {
    fdbLive: ManyPhase
    naive: ManyPhase & {
      scaledNote: string
      atFullScale: { connections: number; requestsPerSecond: number }
    }
  }
  'browser-dom.json': Run & { writes: number; missing: number; writeToDomMs: Stats }
  'react-hooks.json': Run & {
    rows: Array<{ rows: number; mountReads: number; readsPerRow: number; pushReads: number }>
  }
}
const read = <K extends keyof Results>(name: K): Results[K] | undefined => {
  const file = path.join(here, 'results', name)
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Results[K]) : undefined
}
const when = (r: Run): string => `${r.date.slice(0, 16)}Z, load ${r.loadAverage?.before[0] ?? '?'}`
const line = (target: string, text: string): void => console.log(`${target.padEnd(34)} ${text}`)

console.log('\nissue 12 targets, from bench/results/*.json:')
const embedded = read('embedded-store.json')
if (embedded === undefined) line('4 cross-process subscriber', 'not run')
else {
  const p = embedded.crossProcessWatch.commitStartToFiredMs
  line(
    '4 cross-process subscriber',
    `p50 ${p['p50']} ms (≤ 5), p99 ${p['p99']} ms (≤ 25), commit start → fired [${embedded.date.slice(0, 16)}Z]`,
  )
}

const fanout = read('fanout-vs-nchan.json')
if (fanout === undefined) line('1, 2 fan-out vs nchan', 'not run')
else {
  // Runs from before --workers have no `workers`: they had one.
  const runs = fanout.runs.map((r) => ({ ...r, workers: r.workers ?? 1 }))
  for (const run of runs.filter((r) => r.target === 'gateway' && r.streams > 1)) {
    const nchan = runs.find(
      (r) => r.target === 'nchan' && r.streams === run.streams && r.workers === run.workers,
    )
    const g = run.latencyMs['p99']!
    const c = nchan?.latencyMs['p99']
    const interval = fanout.comparisons?.find(
      (x) => x.workers === run.workers && x.streams === run.streams,
    )?.p99
    line(
      `${run.workers === 1 ? '1' : '2'} fan-out ×${run.workers}, ${run.streams} streams`,
      `p99 ${g} ms vs nchan ${c ?? '—'} ms: ratio ${c === undefined ? '—' : (g / c).toFixed(2)}` +
        (interval === undefined ? '' : ` (95 % interval ${interval.low}–${interval.high})`) +
        ` (≤ 1.0); ` +
        `RSS ${run.memory.rssGrowthPerStreamKiB} KiB/stream 1 s after opening` +
        (run.memory.rssSettledGrowthPerStreamKiB == null
          ? ''
          : `, ${run.memory.rssSettledGrowthPerStreamKiB} settled`) +
        ` (≤ 12; nchan ${nchan?.memory.rssGrowthPerStreamKiB ?? '—'}); ` +
        `delivered ${run.delivery.delivered}/${run.delivery.expected}`,
    )
  }
  for (const fit of fanout.memoryFit ?? [])
    line(
      `1 RSS fit, ${fit.target} ×${fit.workers}`,
      `growth 1 s after opening ≈ ${fit.idle.fixedMiB} MiB + ${fit.idle.perStreamKiB} KiB × streams` +
        (fit.settled === null
          ? ''
          : `; settled ≈ ${fit.settled.fixedMiB} MiB + ${fit.settled.perStreamKiB} KiB × streams`),
    )
  for (const [workers, knee] of Object.entries(fanout.knee ?? {}))
    line(`6 scaling ×${workers}`, knee.note)
  for (const [what, why] of Object.entries(fanout.skipped ?? {}))
    line('  skipped', `${what}: ${why}`)
  line('  (fan-out run)', when(fanout))
}

const many = read('many-records.json')
if (many === undefined) line('3 many records', 'not run')
else {
  const f = many.fdbLive
  const n = many.naive
  line(
    '3 many records, fdb-live',
    `p99 ${f.latencyMs['p99']} ms (≤ 100), lost ${f.lost}, reordered ${f.reordered} (0), ` +
      `gateway RSS peak ${Math.round(f.gatewayRss.peakBytes / 2 ** 20)} MiB (≤ 1024); ${f.connections} connections`,
  )
  line(
    '3 many records, naive',
    `p99 ${n.latencyMs['p99']} ms; ${n.connections} connections, ${n.requestsPerSecond} GET/s measured; ` +
      `at full scale ${n.atFullScale.connections} connections, ~${n.atFullScale.requestsPerSecond} GET/s`,
  )
  if (n.scaledNote !== 'full scale') line('  naive', n.scaledNote)
  line('  (many-records run)', when(many))
}

const browser = read('browser-dom.json')
if (browser === undefined) line('5 browser', 'not run')
else {
  const d = browser.writeToDomMs
  line(
    '5 browser, write → DOM',
    `p50 ${d['p50']} ms (≤ 50), p99 ${d['p99']} ms (≤ 150), ${browser.writes - browser.missing}/${browser.writes} shown [${when(browser)}]`,
  )
}
const hooks = read('react-hooks.json')
if (hooks !== undefined)
  for (const row of hooks.rows)
    line(
      `5 useSyncOne, ${row.rows} rows (jsdom)`,
      `mount ${row.mountReads} reads (${row.readsPerRow.toFixed(1)}/row), one change ${row.pushReads} reads`,
    )
