/**
 * Fan-out of one record to N SSE streams, our gateway against nginx + nchan in the same
 * run (issue 12). For each N and each server: a fresh server, separate client processes
 * holding N streams, one write per round timed from its start (our Repo commit in the
 * writer process; nchan's publish POST from the same process) to receipt at every
 * client, resident memory (VmRSS) of the serving process before and after the streams
 * open, and a short burst of writes for events/s. N = 1 with many rounds is scenario 4
 * (cross-process single subscriber, embedded store).
 *
 *   node --conditions=@fdb-live/source --import tsx bench/fanout-vs-nchan.ts [options]
 *
 *   --smoke           a few hundred streams, a few rounds; nchan only if already installed;
 *                     checks delivery, never timings (CI runs this)
 *   --sizes 1000,5000 stream counts (default 1000,5000,10000,19000)
 *   --rounds N        timed writes per size (default 100: the p99 of a fan-out is set by
 *                     its slowest rounds, so few rounds make a noisy p99)
 *   --workers 1,2     serving processes, one pass per value: the gateway's `--workers N`
 *                     against nginx `worker_processes N` (default 1)
 *   --deadline-s S    start no new run after S seconds; the runs left out are listed in
 *                     the results (`skipped`) and the log (default: none)
 *   --settle-s S      with one worker: idle time after the rounds before RSS is read
 *                     again (the settled RSS per stream), and as long before the
 *                     baseline; the same for both servers (default 30; 0 with --smoke
 *                     or --profile)
 *   --repeat K        K fresh runs of each server per size, in alternating order (default
 *                     1); the interval then covers run-to-run spread too
 *   --out FILE        write the results there instead of bench/results/fanout-vs-nchan.json
 *   --no-nchan        the gateway only
 *   --profile         the gateway only, at 5,000 streams, under `node --cpu-prof`; writes
 *                     bench/results/profile/ for bench/flamegraph.ts
 *
 * Environment: FDB_LIVE_BENCH_DIST=1 runs the gateway from its build (packages/gateway/dist,
 * after `pnpm build`) instead of from source; FDB_LIVE_BENCH_NODE_FLAGS passes Node flags to
 * it (docs/deploy.md measures `--max-semi-space-size=2` this way).
 *
 * For each size, the two servers run in turn, in alternating order from one size (or
 * repeat) to the next, so that neither always runs on the machine the other just left.
 * `comparisons` in the results gives each size's p99 ratio with a 95 % interval from a
 * bootstrap over runs and rounds (bench/stats.ts), and `memoryFit` splits each server's RSS growth into a
 * fixed part and a part per stream (least squares over the sizes).
 *
 * The gateway's runs also form the scaling curve (issue 12, target 6): events/s while one write fans out,
 * CPU per 1,000 events and RSS per stream as streams grow, for each worker count; `knee`
 * in the results names the first size where the cost per stream stops being flat.
 *
 * Writes bench/results/fanout-vs-nchan.json (smoke: into the temporary directory).
 * Exits 1 when any event was not delivered to every stream.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runFanout, type FanoutOutcome, type FanoutRun } from './fanout-run.js'
import { startGatewayTarget } from './fanout-gateway-target.js'
import { ensureNchan, startNchanTarget } from './fanout-nchan-target.js'
import type { FanoutTarget, TargetName, TargetOptions } from './fanout-target.js'
import type { WriterReply, WriterRequest } from './fanout-writer.js'
import { IpcChild } from './ipc-child.js'
import { fileLimit, loadAverage } from './proc.js'
import { seeded } from './seeded.js'
import { bootstrapRatio, type RatioInterval } from './stats.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const log = (message: string): void => console.error(`[bench:fanout] ${message}`)
const argv = process.argv.slice(2)
const flag = (name: string): boolean => argv.includes(name)
const option = (name: string): string | undefined => {
  const at = argv.indexOf(name)
  return at < 0 ? undefined : argv[at + 1]
}

const smoke = flag('--smoke')
const profile = flag('--profile')
const workerCounts = (option('--workers') ?? '1').split(',').map(Number)
const deadlineS = Number(option('--deadline-s') ?? Infinity)
const settleS = Number(option('--settle-s') ?? (smoke || profile ? 0 : 30))
const sizes = profile
  ? [5000]
  : (option('--sizes')?.split(',').map(Number) ?? (smoke ? [300] : [1000, 5000, 10_000, 19_000]))
const rounds = Number(option('--rounds') ?? (smoke ? 5 : 100))
/** Scenario 4: one stream, many paced writes. */
const single = { streams: 1, rounds: smoke ? 20 : 200 }
const burst = smoke ? 5 : 20
const repeat = Number(option('--repeat') ?? 1)
const outOption = option('--out')

async function main(): Promise<number> {
  const startedAt = Date.now()
  const loadBefore = loadAverage()
  const limit = fileLimit(Math.max(...sizes) + 512)
  log(`load average before: ${loadBefore.join(' ')}; open files: ${limit.how}`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fdb-live-bench-fanout-'))
  const dataDir = path.join(dir, 'data')
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  const profileDir = path.join(here, 'results', 'profile')
  if (profile) fs.rmSync(profileDir, { recursive: true, force: true })
  const targetOptions: Omit<TargetOptions, 'workers'> = {
    fileLimit: limit,
    dir,
    ...(profile ? { cpuProfileDir: profileDir } : {}),
  }

  let nchan: { available: boolean; reason?: string } = { available: false, reason: '--no-nchan' }
  if (!flag('--no-nchan') && !profile) {
    const found = smoke ? ensureNchanIfInstalled() : ensureNchan()
    nchan = found.ok ? { available: true } : { available: false, reason: found.reason }
    if (!found.ok) log(`nchan SKIPPED: ${found.reason}`)
  }
  const starters = (workers: number): Partial<Record<TargetName, () => Promise<FanoutTarget>>> => ({
    gateway: () => startGatewayTarget({ ...targetOptions, workers, dataDir }),
    ...(nchan.available ? { nchan: () => startNchanTarget({ ...targetOptions, workers }) } : {}),
  })
  const skipped: Record<string, string> = {}

  const writer = new IpcChild<WriterRequest, WriterReply>('fanout-writer.ts', [])
  await writer.ready
  const runs: FanoutRun[] = []
  const comparisons: Comparison[] = []
  let address = 0
  let sizesRun = 0
  // Scenario 4 (one stream) once, with one serving process; then every size per worker count.
  const plan = workerCounts.flatMap((workers, i) => [
    ...(profile || i > 0 ? [] : [{ ...single, workers }]),
    ...sizes.flatMap((streams) =>
      Array.from({ length: repeat }, () => ({ streams, rounds, workers })),
    ),
  ])
  const outcomes = new Map<string, Partial<Record<TargetName, FanoutOutcome[]>>>()
  for (const [step, { streams, rounds: roundsHere, workers }] of plan.entries()) {
    const what = `${streams} streams, ${workers} worker(s)`
    if (streams + 256 > limit.nofile) {
      skipped[what] = limit.how
      log(`${what} SKIPPED: ${limit.how}`)
      continue
    }
    const elapsedS = (Date.now() - startedAt) / 1000
    if (elapsedS > deadlineS) {
      skipped[what] = `past the --deadline-s ${deadlineS} budget (${Math.round(elapsedS)} s in)`
      log(`${what} SKIPPED: ${skipped[what]}`)
      continue
    }
    log(`[${step + 1}/${plan.length}] ${what} (${Math.round(elapsedS)} s so far)`)
    const inOrder = Object.entries(starters(workers))
    if (sizesRun++ % 2 === 1) inOrder.reverse()
    const cell = `${workers}/${streams}`
    const ofCell = outcomes.get(cell) ?? {}
    outcomes.set(cell, ofCell)
    for (const [name, start] of inOrder) {
      const outcome = await runFanout({
        name: name as TargetName,
        workers,
        start,
        writer,
        dataDir,
        streams,
        rounds: roundsHere,
        burst: streams === 1 ? 0 : burst,
        profile,
        settleMs: workers === 1 ? settleS * 1000 : 0,
        nextAddress: () => ++address,
        prefix: limit.prefix,
        log,
      })
      runs.push(outcome.run)
      ;(ofCell[name as TargetName] ??= []).push(outcome)
    }
  }
  // Each size's comparison, over all its repeats.
  for (const [cell, { gateway, nchan: other }] of outcomes) {
    const [workers, streams] = cell.split('/').map(Number) as [number, number]
    if (gateway === undefined || other === undefined || streams === 1) continue
    const p99 = bootstrapRatio(
      gateway.map((o) => o.rounds),
      other.map((o) => o.rounds),
      0.99,
      { random: seeded(streams * 10 + workers) },
    )
    comparisons.push({ workers, streams, p99 })
    log(
      `${streams} streams, ${workers} worker(s): p99 ratio ${p99.ratio}, 95 % interval ` +
        `${p99.low}–${p99.high}, ${p99.runs} run(s) each ` +
        `(${p99.high < 1 ? 'the gateway is faster' : p99.low > 1 ? 'nchan is faster' : 'the runs cannot tell them apart'})`,
    )
  }
  await writer.stop({ op: 'exit' })

  const loadAfter = loadAverage()
  const cpus = os.cpus()
  const results = {
    date: new Date().toISOString(),
    mode: profile ? 'profile' : smoke ? 'smoke' : 'full',
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()}`,
      node: process.version,
    },
    loadAverage: { before: loadBefore, after: loadAfter },
    openFiles: limit.how,
    workers: workerCounts,
    repeat,
    nchan,
    skipped,
    durationS: Math.round((Date.now() - startedAt) / 100) / 10,
    runs,
    comparisons,
    memoryFit: memoryFitOf(runs),
    knee: kneeOf(runs),
  }
  const out =
    outOption !== undefined
      ? path.resolve(outOption)
      : smoke
        ? path.join(os.tmpdir(), 'fdb-live-fanout-smoke.json')
        : path.join(
            here,
            'results',
            profile ? 'profile/fanout-profile.json' : 'fanout-vs-nchan.json',
          )
  fs.mkdirSync(path.dirname(out), { recursive: true })
  fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
  fs.rmSync(dir, { recursive: true, force: true })
  printTable(runs)
  for (const fit of results.memoryFit)
    log(
      `RSS growth, ${fit.target} ×${fit.workers}: 1 s after opening ${fit.idle.fixedMiB} MiB + ` +
        `${fit.idle.perStreamKiB} KiB per stream` +
        (fit.settled === null
          ? ''
          : `; settled ${fit.settled.fixedMiB} MiB + ${fit.settled.perStreamKiB} KiB per stream`),
    )
  for (const [workers, knee] of Object.entries(results.knee))
    log(`scaling, gateway ×${workers}: ${knee.note}`)
  log(`load average after: ${loadAfter.join(' ')}; ${results.durationS} s; wrote ${out}`)
  const undelivered = runs.filter((run) => run.delivery.missing > 0)
  for (const run of undelivered)
    log(
      `NOT DELIVERED: ${run.target} at ${run.streams} streams missed ${run.delivery.missing} events`,
    )
  return undelivered.length === 0 ? 0 : 1
}

/** The smoke run never installs anything: nchan takes part only when it is there. */
function ensureNchanIfInstalled(): { ok: true } | { ok: false; reason: string } {
  return fs.existsSync('/usr/lib/nginx/modules/ngx_nchan_module.so')
    ? ensureNchan()
    : { ok: false, reason: 'not installed (the smoke run does not install it)' }
}

function printTable(runs: FanoutRun[]): void {
  const fmt = (x: number | null | undefined): string => (x == null ? '—' : String(x))
  // events/s: while one write fans out (streams / p50 of write → last receipt).
  // RSS/stream: right after opening, then (with one worker) after the idle wait.
  log(
    'target   ×  streams  p50 ms   p99 ms   RSS/stream KiB (settled)  events/s  CPU ms/1k ev  delivered',
  )
  for (const run of runs) {
    log(
      `${run.target.padEnd(8)} ${run.workers}  ${String(run.streams).padStart(7)}  ${fmt(run.latencyMs['p50']).padStart(7)}  ` +
        `${fmt(run.latencyMs['p99']).padStart(7)}  ${fmt(run.memory.rssGrowthPerStreamKiB).padStart(14)} ` +
        `${`(${fmt(run.memory.rssSettledGrowthPerStreamKiB)})`.padStart(10)}  ` +
        `${fmt(run.fanoutEventsPerSecond).padStart(8)}  ${fmt(run.cpuMsPerKiloEvent).padStart(12)}  ` +
        `${run.delivery.delivered}/${run.delivery.expected}`,
    )
  }
}

interface Comparison {
  workers: number
  streams: number
  /** Gateway p99 / nchan p99, with its 95 % bootstrap interval over runs and rounds. */
  p99: RatioInterval
}

interface Line {
  fixedMiB: number
  perStreamKiB: number
}

interface MemoryFit {
  target: TargetName
  workers: number
  sizes: number[]
  /** RSS growth 1 s after the streams opened ≈ fixed + per stream × streams. */
  idle: Line
  /** The same from the settled RSS; null when the runs did not wait. */
  settled: Line | null
}

/**
 * Splits RSS growth into what does not depend on the number of streams (for a Node
 * process, mostly V8's young generation, which grows to 32 MiB under any burst of
 * allocation and stays there until a full collection lets the memory reducer shrink it)
 * and the cost of one more stream: a least-squares line through each server's sizes.
 */
function memoryFitOf(runs: FanoutRun[]): MemoryFit[] {
  const fits: MemoryFit[] = []
  const line = (points: [number, number][]): Line | null => {
    if (points.length < 2) return null
    const n = points.length
    const mx = points.reduce((sum, [x]) => sum + x, 0) / n
    const my = points.reduce((sum, [, y]) => sum + y, 0) / n
    const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0)
    if (sxx === 0) return null
    const slope = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0) / sxx
    return {
      fixedMiB: Math.round(((my - slope * mx) / 2 ** 20) * 10) / 10,
      perStreamKiB: Math.round((slope / 1024) * 10) / 10,
    }
  }
  for (const key of new Set(runs.map((r) => `${r.target}/${r.workers}`))) {
    const [target, workers] = key.split('/') as [TargetName, string]
    const curve = runs.filter(
      (r) => r.target === target && r.workers === Number(workers) && r.streams >= 100,
    )
    const idle = line(
      curve.map((r) => [r.streams, r.memory.rssIdleBytes - r.memory.rssBeforeBytes]),
    )
    if (idle === null) continue
    const settledRuns = curve.filter((r) => r.memory.rssSettledBytes != null)
    fits.push({
      target,
      workers: Number(workers),
      sizes: curve.map((r) => r.streams),
      idle,
      settled:
        settledRuns.length === curve.length
          ? line(
              settledRuns.map((r) => [
                r.streams,
                r.memory.rssSettledBytes! - r.memory.rssBeforeBytes,
              ]),
            )
          : null,
    })
  }
  return fits
}

/** Within this factor of the smallest size's cost, the cost per stream counts as flat. */
const FLAT = 1.25

/**
 * Where the gateway's cost per stream stops being flat (issue 12, target 6), per worker
 * count: the first size at which CPU per 1,000 events or RSS growth per stream is more
 * than FLAT times the lowest it was at the smaller sizes (the smallest size alone is a
 * poor base: start-up costs weigh most there), or null if it never is.
 */
function kneeOf(runs: FanoutRun[]): Record<string, { streams: number | null; note: string }> {
  const knees: Record<string, { streams: number | null; note: string }> = {}
  for (const workers of new Set(runs.map((run) => run.workers))) {
    const curve = runs
      .filter((r) => r.target === 'gateway' && r.workers === workers && r.streams >= 100)
      .sort((a, b) => a.streams - b.streams)
    if (curve.length < 2) {
      knees[workers] = { streams: null, note: 'fewer than two sizes: no curve' }
      continue
    }
    let cpuLow = Infinity
    let rssLow = Infinity
    let bent: { run: FanoutRun; cpuLow: number; rssLow: number } | undefined
    for (const run of curve) {
      const rss = run.memory.rssGrowthPerStreamKiB ?? Infinity
      if (run.cpuMsPerKiloEvent > FLAT * cpuLow || rss > FLAT * rssLow) {
        bent = { run, cpuLow, rssLow }
        break
      }
      cpuLow = Math.min(cpuLow, run.cpuMsPerKiloEvent)
      rssLow = Math.min(rssLow, rss)
    }
    knees[workers] =
      bent === undefined
        ? {
            streams: null,
            note: `flat from ${curve[0]!.streams} to ${curve.at(-1)!.streams} streams (CPU per event and RSS per stream within ×${FLAT} of their lowest so far)`,
          }
        : {
            streams: bent.run.streams,
            note:
              `stops being flat at ${bent.run.streams} streams: CPU ${bent.run.cpuMsPerKiloEvent} ms per 1k events ` +
              `(lowest before: ${bent.cpuLow}), RSS ${bent.run.memory.rssGrowthPerStreamKiB} KiB per stream (lowest before: ${bent.rssLow})`,
          }
  }
  return knees
}

// Ctrl-C or a kill: exit through 'exit', where the servers started here are stopped.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
process.exitCode = await main()
