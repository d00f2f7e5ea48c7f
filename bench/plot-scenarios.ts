/**
 * The Vega-Lite specs of the many-records plot (fdb-live against the naive way,
 * benchmarks-many-records.svg) and of write → DOM in Chromium (benchmarks-browser.svg);
 * bench/plot.ts renders them.
 */
import type * as vegaLite from 'vega-lite'

type Stats = Record<'p50' | 'p90' | 'p99' | 'max', number>
interface Phase {
  connections: number
  requestsPerSecond: number
  latencyMs: Stats
  gatewayRss: { peakBytes: number }
}
export interface ManyRecordsResults {
  date: string
  config: { streams: number; subs: number; ratePerS: number; durationS: number }
  loadAverage: { before: number[]; after: number[] }
  fdbLive: Phase
  naive: Phase & { atFullScale: { connections: number; requestsPerSecond: number } }
}
export interface BrowserResults {
  date: string
  loadAverage: { before: number[]; after: number[] }
  writeToDomMs: Stats
  writeToNextFrameMs: Stats
}

const when = (r: { date: string; loadAverage: { before: number[]; after: number[] } }): string =>
  `${r.date.slice(0, 10)}, load ${r.loadAverage.before[0]}–${r.loadAverage.after[0]} on 2 vCPUs`
const percentiles = ['p50', 'p90', 'p99'] as const
const bars = (title: string, values: object[], field: string, yTitle: string): object => ({
  title,
  width: 160,
  data: { values },
  mark: { type: 'bar' },
  encoding: {
    x: { field: 'way', type: 'nominal', title: null, axis: { labelAngle: 0 } },
    y: { field, type: 'quantitative', title: yTitle },
    color: { field: 'way', type: 'nominal', legend: null },
    ...(values.some((v) => 'percentile' in v) ? { xOffset: { field: 'percentile' } } : {}),
  },
})

/** Latency percentiles, connections and GET requests/s: fdb-live against the naive way. */
export function manyRecordsSpec(results: ManyRecordsResults): vegaLite.TopLevelSpec {
  const ways = [
    ['fdb-live', results.fdbLive],
    ['naive', results.naive],
  ] as const
  const latency = ways.flatMap(([way, phase]) =>
    percentiles.map((percentile) => ({ way, percentile, ms: phase.latencyMs[percentile] })),
  )
  const connections = [
    { way: 'fdb-live', n: results.fdbLive.connections },
    { way: 'naive (full scale)', n: results.naive.atFullScale.connections },
  ]
  const requests = [
    { way: 'fdb-live', n: results.fdbLive.requestsPerSecond },
    { way: 'naive (full scale)', n: results.naive.atFullScale.requestsPerSecond },
  ]
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title:
      `Many records: ${results.config.streams} streams × ${results.config.subs} subscriptions, ` +
      `${results.config.ratePerS} writes/s for ${results.config.durationS} s (${when(results)})`,
    hconcat: [
      bars('write start → value in hand (ms; p50, p90, p99)', latency, 'ms', 'ms'),
      bars('connections', connections, 'n', 'connections'),
      bars('GET requests/s', requests, 'n', 'requests/s'),
    ],
    config: { background: 'white' },
  } as vegaLite.TopLevelSpec
}

/** Write start → the quote in the demo page's DOM, and → the next animation frame. */
export function browserSpec(results: BrowserResults): vegaLite.TopLevelSpec {
  const values = (
    [
      ['DOM changed', results.writeToDomMs],
      ['next frame', results.writeToNextFrameMs],
    ] as const
  ).flatMap(([measure, s]) =>
    [...percentiles, 'max' as const].map((percentile) => ({
      measure,
      percentile,
      ms: s[percentile],
    })),
  )
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Write → demo page in Chromium, 200 writes (${when(results)}); goal p50 ≤ 50, p99 ≤ 150 ms`,
    width: 420,
    data: { values },
    mark: { type: 'point', filled: true, size: 90 },
    encoding: {
      y: { field: 'measure', type: 'nominal', title: null },
      x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'milliseconds' },
      color: { field: 'percentile', type: 'nominal', sort: ['p50', 'p90', 'p99', 'max'] },
    },
    config: { background: 'white' },
  }
}

export interface CollectionsResults {
  date: string
  machine: { load: number[] }
  load: { clients: number; writesPerSecond: number }
  rows: Array<{
    mode: 'delta' | 'seed'
    members: number
    bytesPerChangePerClient: number
    serverCpuMsPerChange: number
  }>
}

/** Bytes and server CPU per change as the collection grows: fdb-live's deltas against the seed's full re-read. */
export function collectionsSpec(results: CollectionsResults): vegaLite.TopLevelSpec {
  const values = results.rows.map((row) => ({
    ...row,
    way: row.mode === 'delta' ? 'fdb-live (changes only)' : 'seed (full re-read per fire)',
  }))
  const line = (field: string, title: string): object => ({
    width: 260,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'members', type: 'quantitative', title: 'members in the collection' },
      y: { field, type: 'quantitative', scale: { type: 'log' }, title },
      color: { field: 'way', type: 'nominal', title: null },
    },
  })
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title:
      `Live collections: ${results.load.clients} subscribers, ${results.load.writesPerSecond} ` +
      `writes/s (${results.date.slice(0, 10)}, load ${results.machine.load[0]} on 2 vCPUs)`,
    data: { values },
    hconcat: [
      line('bytesPerChangePerClient', 'bytes per change per subscriber (log)'),
      line('serverCpuMsPerChange', 'server CPU ms per change (log)'),
    ],
    config: { background: 'white' },
  } as vegaLite.TopLevelSpec
}
