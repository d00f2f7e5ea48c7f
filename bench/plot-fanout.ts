/**
 * The Vega-Lite specs of the fan-out plots (bench/plot.ts renders them): the gateway
 * against nchan per worker count (benchmarks-fanout.svg), and the scaling curve with its
 * knee marked (benchmarks-scaling.svg).
 */
import type * as vegaLite from 'vega-lite'

export interface FanoutResults {
  date: string
  loadAverage: { before: number[]; after: number[] }
  knee?: Record<string, { streams: number | null; note: string }>
  /** Missing in results from before the bootstrap intervals. */
  comparisons?: Array<{
    workers: number
    streams: number
    p99: { ratio: number; low: number; high: number }
  }>
  runs: Array<{
    target: string
    /** Missing in results from before `--workers`: 1. */
    workers?: number
    streams: number
    latencyMs: { p50: number; p99: number }
    /** `rssSettledGrowthPerStreamKiB`: missing in results from before the settled reading. */
    memory: { rssGrowthPerStreamKiB: number | null; rssSettledGrowthPerStreamKiB?: number | null }
    burst: { eventsPerSecond: number } | null
    /** Missing in results from before the scaling curve. */
    cpuMsPerKiloEvent?: number
    fanoutEventsPerSecond?: number
  }>
}

const x = { field: 'streams', type: 'quantitative', title: 'streams' } as const
/** The gateway warm, nchan cool; dashed for two workers. */
const color = { field: 'target', type: 'nominal', title: null } as const
const dash = {
  field: 'workers',
  type: 'nominal',
  title: 'workers',
  scale: {
    domain: ['1', '2'],
    range: [
      [1, 0],
      [5, 3],
    ],
  },
} as const
const panel = (title: string, values: object[], y: object, width = 220): object => ({
  title,
  width,
  data: { values },
  mark: { type: 'line', point: true },
  encoding: { x, y, color, strokeDash: dash, detail: { field: 'series' } },
})

function title(what: string, results: FanoutResults): string {
  return `${what} (${results.date.slice(0, 10)}, load ${results.loadAverage.before[0]}–${results.loadAverage.after[0]} on 2 vCPUs)`
}

const rows = (results: FanoutResults): Array<FanoutResults['runs'][number] & { workers: number }> =>
  results.runs
    .filter((run) => run.streams >= 100)
    .map((run) => ({ ...run, workers: run.workers ?? 1 }))

/** Three panels over stream counts: p50/p99 write → receipt, RSS per stream, events/s. */
export function fanoutSpec(results: FanoutResults): vegaLite.TopLevelSpec {
  const runs = rows(results)
  const base = (run: (typeof runs)[number]): object => ({
    streams: run.streams,
    target: run.target,
    workers: String(run.workers),
  })
  const latency = runs.flatMap((run) =>
    (['p50', 'p99'] as const).map((p) => ({
      ...base(run),
      series: `${run.target} ×${run.workers} ${p}`,
      target: `${run.target} ${p}`,
      ms: run.latencyMs[p],
    })),
  )
  // 1 s after the streams opened, and (one worker) settled: after 30 s idle.
  const memory = runs.flatMap((run) => [
    {
      ...base(run),
      series: `${run.target} ×${run.workers} opened`,
      target: `${run.target} 1 s after opening`,
      kib: run.memory.rssGrowthPerStreamKiB,
    },
    ...(run.memory.rssSettledGrowthPerStreamKiB == null
      ? []
      : [
          {
            ...base(run),
            series: `${run.target} ×${run.workers} settled`,
            target: `${run.target} settled`,
            kib: run.memory.rssSettledGrowthPerStreamKiB,
          },
        ]),
  ])
  const rate = runs.map((run) => ({ ...base(run), eps: run.burst?.eventsPerSecond ?? null }))
  const ratios = (results.comparisons ?? []).map((c) => ({
    streams: c.streams,
    workers: String(c.workers),
    target: `gateway / nchan ×${c.workers}`,
    ...c.p99,
  }))
  // The p99 ratio with its 95 % bootstrap interval (bench/stats.ts), against the target (≤ 1).
  const ratioPanel = {
    title: 'p99 ratio gateway / nchan (95 % interval)',
    width: 220,
    layer: [
      {
        data: { values: ratios },
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          x: { ...x, scale: { type: 'log', domain: [700, 25_000] } },
          y: { field: 'low', type: 'quantitative', title: 'ratio', scale: { zero: false } },
          y2: { field: 'high' },
          color,
        },
      },
      {
        data: { values: ratios },
        mark: { type: 'point', filled: true },
        encoding: {
          x: { ...x, scale: { type: 'log', domain: [700, 25_000] } },
          y: { field: 'ratio', type: 'quantitative' },
          color,
        },
      },
      {
        data: { values: [{ y: 1 }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: 'gray' },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
    ],
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: title('Fan-out of one record: gateway vs nginx + nchan, same run', results),
    hconcat: [
      panel('write start → receipt (ms, log)', latency, {
        field: 'ms',
        type: 'quantitative',
        scale: { type: 'log' },
        title: 'ms',
      }),
      panel('RSS growth per idle stream (KiB)', memory, {
        field: 'kib',
        type: 'quantitative',
        title: 'KiB',
      }),
      panel('events/s delivered in a burst', rate, {
        field: 'eps',
        type: 'quantitative',
        title: 'events/s',
      }),
      ...(ratios.length === 0 ? [] : [ratioPanel]),
    ],
    resolve: { scale: { color: 'independent' } },
    config: { background: 'white' },
  } as vegaLite.TopLevelSpec
}

/**
 * The scaling curve (issue 12, target 6): the gateway's events/s, CPU per 1,000 events and
 * RSS per stream as streams grow, one and two workers; a rule where the cost per stream
 * stops being flat (`knee` of the results).
 */
export function scalingSpec(results: FanoutResults): vegaLite.TopLevelSpec {
  const runs = rows(results).filter((run) => run.target === 'gateway')
  const values = runs.map((run) => ({
    streams: run.streams,
    target: `gateway ×${run.workers}`,
    workers: String(run.workers),
    series: String(run.workers),
    eps: run.fanoutEventsPerSecond ?? null,
    cpu: run.cpuMsPerKiloEvent ?? null,
    kib: run.memory.rssGrowthPerStreamKiB,
  }))
  const knees = Object.entries(results.knee ?? {})
    .filter(([, knee]) => knee.streams !== null)
    .map(([workers, knee]) => ({ streams: knee.streams, workers, target: `gateway ×${workers}` }))
  const withKnee = (name: string, field: string, yTitle: string): object => ({
    title: name,
    width: 220,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field, type: 'quantitative', title: yTitle },
          color,
          strokeDash: dash,
        },
      },
      {
        data: { values: knees },
        mark: { type: 'rule', strokeDash: [2, 2] },
        encoding: { x: { field: 'streams', type: 'quantitative' }, color },
      },
    ],
  })
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: title(
      'Gateway scaling: cost per stream as streams grow (rule: where it stops being flat)',
      results,
    ),
    hconcat: [
      withKnee('events/s while one write fans out', 'eps', 'events/s'),
      withKnee('CPU ms per 1,000 events (all processes)', 'cpu', 'ms'),
      withKnee('RSS growth per idle stream (KiB)', 'kib', 'KiB'),
    ],
    config: { background: 'white' },
  } as vegaLite.TopLevelSpec
}
