/**
 * Draws the plots of docs/benchmarks.md from bench/results/*.json (Vega-Lite, rendered to
 * SVG in Node, no browser needed): the latency percentiles, and the fan-out against nchan
 * (latency, memory per stream and events/s as streams grow) when its results are there.
 *
 *   node --conditions=@fdb-live/source --import tsx bench/plot.ts
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as vega from 'vega'
import * as vegaLite from 'vega-lite'

interface Percentiles {
  p50: number
  p90: number
  p99: number
  max: number
}
interface EmbeddedResults {
  crossProcessWatch: { commitDoneToFiredMs: Percentiles; commitStartToFiredMs: Percentiles }
  sequential: { commitLatencyMs: Percentiles }
  concurrent: { commitLatencyMs: Percentiles; inFlight: number }
}
interface GatewayResults {
  fanout: Array<{ clients: number; perClientFromCommitStartMs: Percentiles }>
}

const here = path.dirname(fileURLToPath(import.meta.url))
const docs = path.join(here, '..', 'docs')
const read = <T>(name: string): T =>
  JSON.parse(fs.readFileSync(path.join(here, 'results', name), 'utf8')) as T

const rows: Array<{ measure: string; percentile: string; ms: number }> = []
const add = (measure: string, p: Percentiles): void => {
  for (const percentile of ['p50', 'p90', 'p99'] as const) {
    rows.push({ measure, percentile, ms: p[percentile] })
  }
}

const embedded = read<EmbeddedResults>('embedded-store.json')
add('commit (1 in flight)', embedded.sequential.commitLatencyMs)
add(`commit (${embedded.concurrent.inFlight} in flight)`, embedded.concurrent.commitLatencyMs)
add('commit done → fired (2nd process)', embedded.crossProcessWatch.commitDoneToFiredMs)
add('commit start → fired (2nd process)', embedded.crossProcessWatch.commitStartToFiredMs)
const gateway = read<GatewayResults>('gateway.json')
for (const run of gateway.fanout) {
  add(`commit start → SSE, ${run.clients} client(s)`, run.perClientFromCommitStartMs)
}

const spec: vegaLite.TopLevelSpec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: 'fdb-live latency (ms, log scale; lower is better)',
  width: 420,
  data: { values: rows },
  mark: { type: 'point', filled: true, size: 90 },
  encoding: {
    y: { field: 'measure', type: 'nominal', sort: null, title: null, axis: { labelLimit: 400 } },
    x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'milliseconds' },
    color: { field: 'percentile', type: 'nominal', sort: ['p50', 'p90', 'p99'] },
    tooltip: [{ field: 'ms' }],
  },
  config: { background: 'white' },
}

async function render(topLevel: vegaLite.TopLevelSpec, file: string): Promise<void> {
  const view = new vega.View(vega.parse(vegaLite.compile(topLevel).spec), { renderer: 'none' })
  const out = path.join(docs, file)
  fs.writeFileSync(out, await view.toSVG())
  console.error(`[bench:plot] wrote ${path.relative(process.cwd(), out)}`)
}

await render(spec, 'benchmarks-latency.svg')
if (fs.existsSync(path.join(here, 'results', 'fanout-vs-nchan.json')))
  await render(fanoutSpec(read<FanoutResults>('fanout-vs-nchan.json')), 'benchmarks-fanout.svg')

interface FanoutResults {
  date: string
  loadAverage: { before: number[]; after: number[] }
  runs: Array<{
    target: string
    streams: number
    latencyMs: { p50: number; p99: number }
    memory: { rssGrowthPerStreamKiB: number | null }
    burst: { eventsPerSecond: number } | null
  }>
}

/** Three panels over stream counts: p50/p99 write → receipt, RSS per stream, events/s. */
function fanoutSpec(results: FanoutResults): vegaLite.TopLevelSpec {
  const runs = results.runs.filter((run) => run.streams >= 100)
  const latency = runs.flatMap((run) =>
    (['p50', 'p99'] as const).map((p) => ({
      streams: run.streams,
      series: `${run.target} ${p}`,
      ms: run.latencyMs[p],
    })),
  )
  const memory = runs.map((run) => ({
    streams: run.streams,
    series: run.target,
    kib: run.memory.rssGrowthPerStreamKiB,
  }))
  const rate = runs.map((run) => ({
    streams: run.streams,
    series: run.target,
    eventsPerSecond: run.burst?.eventsPerSecond ?? null,
  }))
  const x = { field: 'streams', type: 'quantitative', title: 'streams' } as const
  // The same colours in every panel: the gateway warm, nchan cool.
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: {
      domain: ['gateway p50', 'gateway p99', 'nchan p50', 'nchan p99'],
      range: ['#e4572e', '#f3a712', '#29335c', '#669bbc'],
    },
  } as const
  const colorByTarget = {
    ...color,
    scale: { domain: ['gateway', 'nchan'], range: ['#e4572e', '#29335c'] },
  } as const
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Fan-out of one record: gateway vs nginx + nchan, same run (${results.date.slice(0, 10)}, load ${results.loadAverage.before[0]}–${results.loadAverage.after[0]} on 2 vCPUs)`,
    hconcat: [
      {
        title: 'write start → receipt (ms, log)',
        width: 240,
        data: { values: latency },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'ms' },
          color,
        },
      },
      {
        title: 'RSS growth per idle stream (KiB)',
        width: 200,
        data: { values: memory },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'kib', type: 'quantitative', title: 'KiB' },
          color: colorByTarget,
        },
      },
      {
        title: 'events/s delivered in a burst',
        width: 200,
        data: { values: rate },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'eventsPerSecond', type: 'quantitative', title: 'events/s' },
          color: colorByTarget,
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
    config: { background: 'white' },
  }
}
