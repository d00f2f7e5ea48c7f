/**
 * Turns a V8 CPU profile (`node --cpu-prof`, a `.cpuprofile` JSON) into a flame graph
 * SVG: samples folded into stacks (root at the bottom, width = CPU time), coloured by
 * where the code lives, with a tooltip per frame. Optionally only the samples within a
 * time window (CLOCK_MONOTONIC microseconds, the profile's own clock) count.
 *
 *   node --conditions=@fdb-live/source --import tsx bench/flamegraph.ts
 *
 * Without arguments it draws the profile of `bench/fanout-vs-nchan.ts --profile`: one
 * graph for the connect phase (streams opening) and one for the fan-out rounds, into
 * docs/, and prints where the time went (self and inclusive, by frame and by kind of code).
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { foldProfile, summarise, type CpuProfile } from './flamegraph-fold.js'
import { renderFlameGraph } from './flamegraph-svg.js'
import type { FanoutRun } from './fanout-run.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const profileDir = path.join(here, 'results', 'profile')
// --cpu-prof writes one profile per thread (tsx's module loader has one): take the main
// thread's, the one that ran the gateway's code.
const profile = fs
  .readdirSync(profileDir)
  .filter((file) => file.endsWith('.cpuprofile'))
  .map((file) => JSON.parse(fs.readFileSync(path.join(profileDir, file), 'utf8')) as CpuProfile)
  .find((p) => p.nodes.some((node) => node.callFrame.url.includes('packages/gateway/src/')))
if (profile === undefined) throw new Error(`no profile of the gateway in ${profileDir}`)
const { runs } = JSON.parse(
  fs.readFileSync(path.join(profileDir, 'fanout-profile.json'), 'utf8'),
) as { runs: FanoutRun[] }
const run = runs[0]!
const phases = {
  connect: {
    window: run.windowsUs!.connect,
    title: `gateway CPU while ${run.streams} SSE streams open (per-stream cost)`,
  },
  fanout: {
    window: run.windowsUs!.fanout,
    title: `gateway CPU during ${run.rounds} writes fanned out to ${run.streams} streams (per-event cost)`,
  },
} as const

const summaries: Record<string, unknown> = {}
for (const [phase, { window, title }] of Object.entries(phases)) {
  const folded = foldProfile(profile, window)
  const out = path.join(
    here,
    '..',
    'docs',
    `flamegraph-gateway-${run.streams / 1000}k-${phase}.svg`,
  )
  fs.writeFileSync(out, renderFlameGraph(folded, title))
  const summary = summarise(folded)
  summaries[phase] = { window, ...summary }
  console.log(`\n== ${phase}: ${path.relative(process.cwd(), out)}`)
  console.log(
    `${summary.busyMs} ms busy of ${summary.wallMs} ms (${summary.busyPercent} %); by kind:`,
    summary.byKind,
  )
  console.log('top self time:')
  for (const f of summary.topSelf.slice(0, 15)) console.log(`  ${f.percent}%  ${f.frame}`)
  console.log('top inclusive time:')
  for (const f of summary.topInclusive.slice(0, 25)) console.log(`  ${f.percent}%  ${f.frame}`)
}
fs.writeFileSync(
  path.join(here, 'results', 'gateway-profile-summary.json'),
  `${JSON.stringify({ streams: run.streams, rounds: run.rounds, phases: summaries }, null, 2)}\n`,
)
