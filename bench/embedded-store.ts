/**
 * Benchmark of the embedded (LMDB) store: commit throughput in one process (sequential
 * and concurrent), and commit → watch-fired latency across processes (a writer process
 * and a watcher process on the same data directory, timestamps from the same clock).
 *
 *   node --conditions=@fdb-live/source --import tsx bench/embedded-store.ts
 *
 * Environment: BENCH_SEQUENTIAL (commits, default 2000), BENCH_CONCURRENT (commits,
 * default 20000), BENCH_IN_FLIGHT (default 64), BENCH_SAMPLES (watch fires, default 1000),
 * BENCH_IDLE_WATCHES (other watches the watcher holds, default 1000).
 * Writes bench/results/embedded-store.json.
 *
 * Latency is reported from two points: "commit start" (the writer's transact() call: the
 * commit's own durable write is included) and "commit done" (its transact() resolved; the
 * writer notifies just before that, so a fire can come first and a sample be negative).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { openLmdbStore } from '../packages/core/src/kv/lmdb-store.js'
import type { KvStore } from '../packages/core/src/kv/store.js'
import { stats } from './stats.js'

const script = fileURLToPath(import.meta.url)
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback)
const now = (): number => performance.timeOrigin + performance.now()
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const HOT_KEY = Buffer.from('bench/hot')

async function throughput(
  store: KvStore,
  commits: number,
  inFlight: number,
): Promise<Record<string, unknown>> {
  const latencies: number[] = []
  const value = Buffer.alloc(100, 7)
  let next = 0
  const started = now()
  const worker = async (): Promise<void> => {
    while (next < commits) {
      const i = next++
      const t0 = now()
      await store.transact((tx) =>
        Promise.resolve(tx.set(Buffer.from(`bench/tp/${inFlight}/${i}`), value)),
      )
      latencies.push(now() - t0)
      if ((i + 1) % Math.ceil(commits / 4) === 0) console.log(`  … ${i + 1}/${commits} commits`)
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  const seconds = (now() - started) / 1000
  return {
    commits,
    inFlight,
    seconds: Math.round(seconds * 1000) / 1000,
    commitsPerSecond: Math.round(commits / seconds),
    commitLatencyMs: stats(latencies),
  }
}

/** Child role: commits `samples` writes of HOT_KEY, paced, each carrying its start time. */
async function writer(dataDir: string, samples: number): Promise<void> {
  const store = await openLmdbStore({ dataDir, create: true })
  for (let seq = 1; seq <= samples; seq++) {
    const started = now()
    const value = Buffer.from(JSON.stringify({ seq, started }))
    await store.transact((tx) => Promise.resolve(tx.set(HOT_KEY, value)))
    console.log(`commit ${seq} ${started} ${now()}`)
    await sleep(5 + Math.random() * 10) // paced and jittered: the watcher re-arms in between
  }
  await store.close()
}

/** Child role: read + watch HOT_KEY in one transaction, print each fire, re-arm. */
async function watcher(dataDir: string, samples: number, idle: number): Promise<void> {
  const store = await openLmdbStore({ dataDir, create: true })
  const idleWatches = await store.transact((tx) =>
    Promise.resolve(
      Array.from({ length: idle }, (_, i) => tx.watch(Buffer.from(`bench/idle/${i}`))),
    ),
  )
  let seen = 0
  let arm = await store.transact(async (tx) => ({
    value: await tx.get(HOT_KEY),
    watch: tx.watch(HOT_KEY),
  }))
  console.log('ready')
  while (seen < samples) {
    await arm.watch.changed
    const fired = now()
    arm = await store.transact(async (tx) => ({
      value: await tx.get(HOT_KEY),
      watch: tx.watch(HOT_KEY),
    }))
    const { seq } = JSON.parse(Buffer.from(arm.value ?? Buffer.from('{"seq":0}')).toString()) as {
      seq: number
    }
    console.log(`fire ${seen} ${seq} ${fired}`)
    seen = Math.max(seen, seq)
  }
  arm.watch.cancel()
  for (const watch of idleWatches) watch.cancel()
  await store.close()
}

function child(args: string[], onLine: (line: string) => void): Promise<void> {
  const proc = spawn(process.execPath, [...process.execArgv, script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  readline.createInterface({ input: proc.stdout }).on('line', onLine)
  return new Promise((resolve, reject) =>
    proc.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${args[0]} exited with ${code}`)),
    ),
  )
}

async function crossProcessLatency(
  dataDir: string,
  samples: number,
  idle: number,
): Promise<Record<string, unknown>> {
  const commits = new Map<number, { started: number; done: number }>()
  const fromCommit: number[] = []
  const fromStart: number[] = []
  let coalesced = 0
  let spurious = 0
  let ready!: () => void
  const isReady = new Promise<void>((resolve) => (ready = resolve))
  const fires: Array<{ before: number; seq: number; fired: number }> = []
  const watching = child(['watcher', dataDir, String(samples), String(idle)], (line) => {
    const [kind, a, b, c] = line.split(' ')
    if (kind === 'ready') ready()
    if (kind === 'fire') fires.push({ before: Number(a), seq: Number(b), fired: Number(c) })
  })
  await isReady
  console.log(`  watcher armed (${idle} idle watches); writer commits ${samples} changes`)
  await child(['writer', dataDir, String(samples)], (line) => {
    const [kind, seq, started, done] = line.split(' ').map(Number)
    if (Number.isNaN(kind) && seq !== undefined && started !== undefined && done !== undefined)
      commits.set(seq, { started, done })
    if (seq !== undefined && seq % Math.ceil(samples / 4) === 0)
      console.log(`  … ${seq}/${samples} commits`)
  })
  await watching
  for (const { before, seq, fired } of fires) {
    if (seq <= before) {
      spurious++
      continue
    }
    if (seq > before + 1) coalesced++
    // The earliest commit the watch had not seen caused the fire: measure from that one.
    const cause = commits.get(before + 1)
    if (cause === undefined) continue
    fromCommit.push(fired - cause.done)
    fromStart.push(fired - cause.started)
  }
  return {
    samples,
    idleWatches: idle,
    commitDoneToFiredMs: stats(fromCommit),
    commitStartToFiredMs: stats(fromStart),
    writerCommitMs: stats([...commits.values()].map((c) => c.done - c.started)),
    coalescedFires: coalesced,
    spuriousFires: spurious,
  }
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fdb-live-bench-'))
  const cpus = os.cpus()
  const machine = {
    nproc: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    dataDir,
  }
  console.log(
    `embedded-store bench on ${machine.nproc} × ${machine.cpuModel}, node ${machine.node}; data in ${dataDir} (durable commits)`,
  )
  try {
    const store = await openLmdbStore({ dataDir, create: true })
    console.log('sequential commits (one at a time):')
    const sequential = await throughput(store, env('BENCH_SEQUENTIAL', 2000), 1)
    console.log(`  ${String(sequential['commitsPerSecond'])} commits/s`)
    const inFlight = env('BENCH_IN_FLIGHT', 64)
    console.log(`concurrent commits (${inFlight} in flight):`)
    const concurrent = await throughput(store, env('BENCH_CONCURRENT', 20000), inFlight)
    console.log(`  ${String(concurrent['commitsPerSecond'])} commits/s`)
    await store.close()
    console.log('commit → watch fired, across processes:')
    const latency = await crossProcessLatency(
      dataDir,
      env('BENCH_SAMPLES', 1000),
      env('BENCH_IDLE_WATCHES', 1000),
    )
    console.log(`  commit done → fired: ${JSON.stringify(latency['commitDoneToFiredMs'])}`)
    console.log(`  commit start → fired: ${JSON.stringify(latency['commitStartToFiredMs'])}`)
    console.log(`  (the writer's commits took ${JSON.stringify(latency['writerCommitMs'])})`)
    const results = {
      benchmark: 'embedded-store',
      date: new Date().toISOString(),
      machine,
      sequential,
      concurrent,
      crossProcessWatch: latency,
    }
    const out = path.join(path.dirname(script), 'results', 'embedded-store.json')
    fs.mkdirSync(path.dirname(out), { recursive: true })
    fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
    console.log(`wrote ${out}`)
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

const [role, dir = '', n = '0', idle = '0'] = process.argv.slice(2)
if (role === 'writer') await writer(dir, Number(n))
else if (role === 'watcher') await watcher(dir, Number(n), Number(idle))
else await main()
