/**
 * Draws the plots of docs/benchmarks.md from bench/results/*.json (Vega-Lite, rendered to
 * SVG in Node, no browser needed): the latency percentiles, and one plot per scenario of
 * issue 12 whose results are there: the fan-out against nchan and its scaling curve
 * (plot-fanout.ts), many records against the naive way and write → DOM in Chromium
 * (plot-scenarios.ts).
 *
 *   node --conditions=@fdb-live/source --import tsx bench/plot.ts
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as vega from 'vega'
import * as vegaLite from 'vega-lite'
import { fanoutSpec, scalingSpec, type FanoutResults } from './plot-fanout.js'
import {
  browserSpec,
  collectionsSpec,
  manyRecordsSpec,
  type BrowserResults,
  type CollectionsResults,
  type ManyRecordsResults,
} from './plot-scenarios.js'

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
// One plot per scenario, each only when its results are there (`pnpm bench --only …`).
const has = (name: string): boolean => fs.existsSync(path.join(here, 'results', name))
if (has('fanout-vs-nchan.json')) {
  const fanout = read<FanoutResults>('fanout-vs-nchan.json')
  await render(fanoutSpec(fanout), 'benchmarks-fanout.svg')
  await render(scalingSpec(fanout), 'benchmarks-scaling.svg')
}
if (has('many-records.json'))
  await render(
    manyRecordsSpec(read<ManyRecordsResults>('many-records.json')),
    'benchmarks-many-records.svg',
  )
if (has('browser-dom.json'))
  await render(browserSpec(read<BrowserResults>('browser-dom.json')), 'benchmarks-browser.svg')
if (has('collections.json'))
  await render(
    collectionsSpec(read<CollectionsResults>('collections.json')),
    'benchmarks-collections.svg',
  )
