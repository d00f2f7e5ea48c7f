/**
 * Benchmark of the gateway: memory per idle stream and per subscription, fan-out latency
 * from a commit in another process to the SSE event at N clients (N = 1, 100, 1000), and
 * events per second delivered under a write burst.
 *
 *   node --conditions=@fdb-live/source --import tsx bench/gateway.ts
 *
 * Three processes: this one runs the gateway (its memory is what is measured), a writer
 * (bench/gateway-writer.ts) commits to the same LMDB data directory, and a client swarm
 * (bench/gateway-clients.ts) holds the streams. Latency is on the wall clock the
 * processes share. Environment: BENCH_WRITES (writes per fan-out size, default 50),
 * BENCH_BURST (commits in the throughput burst, default 5000).
 * Writes bench/results/gateway.json.
 *
 *   node --conditions=@fdb-live/source --import tsx bench/gateway.ts --store fdb
 *
 * runs the same on the FoundationDB store. Without FDB_CLUSTER_FILE it starts the libfdb_c
 * TEST DOUBLE (test/fdb-double) and runs itself again with its environment; those numbers
 * show the binding's and our store's overhead, nothing about FoundationDB's own speed.
 * Writes bench/results/gateway-fdb-double.json (or gateway-fdb-cluster.json).
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'
import { fileURLToPath } from 'node:url'
import { openStore } from '../packages/core/src/index.js'
import { createLogger, startGateway } from '../packages/gateway/src/index.js'
import type { SwarmReply, SwarmRequest } from './gateway-clients.js'
import type { WriterReply, WriterRequest } from './gateway-writer.js'
import { stats } from './stats.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const WRITES = Number(process.env['BENCH_WRITES'] ?? 50)
const BURST = Number(process.env['BENCH_BURST'] ?? 5000)
const SOURCE = ['--conditions=@fdb-live/source', '--import', 'tsx']
const now = (): number => performance.timeOrigin + performance.now()
const log = (message: string): void => console.error(`[bench:gateway] ${message}`)
const onFdb =
  process.argv.includes('--store') && process.argv.at(process.argv.indexOf('--store') + 1) === 'fdb'
const fdbTarget = process.env['FDB_LIVE_FDB_TARGET'] === 'double' ? 'double' : 'cluster'

if (onFdb && !process.env['FDB_CLUSTER_FILE']) {
  // LD_LIBRARY_PATH only counts when a process starts: run again under the double.
  const { startFdbDouble } = await import('@fdb-live/fdb-double')
  const double = await startFdbDouble()
  log('on the libfdb_c TEST DOUBLE (not FoundationDB): numbers show our overhead only')
  const run = spawnSync(process.execPath, [...SOURCE, ...process.argv.slice(1)], {
    env: { ...process.env, ...double.env },
    stdio: 'inherit',
  })
  await double.stop()
  process.exit(run.status ?? 1)
}

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void
/** Heap plus off-heap (Buffers, sockets' JS side) after a full collection. */
function memory(): number {
  for (let i = 0; i < 3; i++) gc()
  const { heapUsed, external } = process.memoryUsage()
  return heapUsed + external
}

/** A child process spoken to over IPC: `ask` sends and resolves with the next matching reply. */
class Child<Req, Rep> {
  readonly #child: ChildProcess
  readonly #queue: ((reply: Rep) => void)[] = []
  readonly ready: Promise<void>

  constructor(script: string, args: string[]) {
    this.#child = fork(path.join(here, script), args, {
      execArgv: SOURCE,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.ready = new Promise((resolve) => this.#child.once('message', () => resolve()))
    void this.ready.then(() =>
      this.#child.on('message', (reply: Rep) => this.#queue.shift()?.(reply)),
    )
  }

  ask(request: Req): Promise<Rep> {
    return new Promise((resolve) => {
      this.#queue.push(resolve)
      this.#child.send(request as object)
    })
  }

  async stop(request: Req): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.#child.send(request as object)
    await exited
  }
}

const spawnSwarm = async (): Promise<Child<SwarmRequest, SwarmReply>> => {
  const swarm = new Child<SwarmRequest, SwarmReply>('gateway-clients.ts', [])
  await swarm.ready
  return swarm
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fdb-live-bench-gw-'))
  const dataDir = path.join(tmp, 'data')
  const store = onFdb
    ? await openStore({ kind: 'fdb', maxWatches: 100_000 })
    : await openStore({ kind: 'embedded', dataDir, create: true, maxWatches: 100_000 })
  const running = await startGateway({ store, port: 0, logger: createLogger({ level: 'warn' }) })
  const { metrics } = running.gateway
  const streamUrl = `${running.url}/v1/tenants/bench/stream`
  const gaugeValue = async (gauge: {
    get(): Promise<{ values: { value: number }[] }>
  }): Promise<number> => (await gauge.get()).values[0]?.value ?? 0
  const waitForIdle = async (): Promise<void> => {
    while ((await gaugeValue(metrics.openStreams)) > 0) await new Promise((r) => setImmediate(r))
  }
  const writer = new Child<WriterRequest, WriterReply>(
    'gateway-writer.ts',
    onFdb ? ['fdb'] : ['embedded', dataDir],
  )
  await writer.ready
  log(`gateway at ${running.url}, ${onFdb ? `FoundationDB (${fdbTarget})` : `data in ${dataDir}`}`)

  // 1. Idle streams: no subscriptions, only the connection, the writer and the heartbeat.
  const IDLE = 1000
  let before = memory()
  let swarm = await spawnSwarm()
  await swarm.ask({ op: 'open', url: streamUrl, streams: IDLE, body: { subscriptions: [] } })
  const idleBytes = (memory() - before) / IDLE
  log(`idle streams: ${Math.round(idleBytes)} bytes per stream (${IDLE} streams)`)
  await swarm.stop({ op: 'close' })
  await waitForIdle()

  // 2. Subscriptions: 1,000 records in one stream (each needs its own store watch), then 9
  //    more streams on the same records (they share the watches).
  const RECORDS = 1000
  const body = {
    subscriptions: Array.from({ length: RECORDS }, (_, i) => ({ schema: 'items', id: `s${i}` })),
  }
  before = memory()
  swarm = await spawnSwarm()
  await swarm.ask({ op: 'open', url: streamUrl, streams: 1, body })
  const afterFirst = memory()
  await swarm.ask({ op: 'open', url: streamUrl, streams: 9, body })
  const afterAll = memory()
  const perWatchedSubscription = (afterFirst - before) / RECORDS
  const perSharedSubscription = (afterAll - afterFirst) / (9 * RECORDS)
  log(`subscriptions: ${Math.round(perWatchedSubscription)} bytes each with its own store watch`)
  log(`subscriptions: ${Math.round(perSharedSubscription)} bytes each on an already-watched record`)
  const watchesHeld = await gaugeValue(metrics.activeWatches)
  await swarm.stop({ op: 'close' })
  await waitForIdle()

  // 3. Fan-out latency: commit in the writer process → event parsed at each of N clients.
  const fanout: Record<string, unknown>[] = []
  for (const clients of [1, 100, 1000]) {
    swarm = await spawnSwarm()
    await swarm.ask({
      op: 'open',
      url: streamUrl,
      streams: clients,
      body: { subscriptions: [{ schema: 'items', id: 'hot' }] },
    })
    // Measured from the start of the writer's commit (an upper bound: it includes the
    // commit itself) and from its return (a lower bound: the gateway may be notified
    // before the writer's promise resolves).
    const fromStart: number[] = []
    const fromReturn: number[] = []
    const allFromStart: number[] = []
    for (let n = 1; n <= WRITES; n++) {
      const reply = (await writer.ask({ op: 'put', id: 'hot', n })) as {
        version: string
        startedAt: number
        committedAt: number
      }
      const arrived = (await swarm.ask({ op: 'await', id: 'hot', version: reply.version })) as {
        arrivals: number[]
      }
      fromStart.push(...arrived.arrivals.map((t) => t - reply.startedAt))
      fromReturn.push(...arrived.arrivals.map((t) => t - reply.committedAt))
      allFromStart.push(Math.max(...arrived.arrivals) - reply.startedAt)
    }
    const result = {
      clients,
      writes: WRITES,
      perClientFromCommitStartMs: stats(fromStart),
      perClientFromCommitReturnMs: stats(fromReturn),
      allClientsFromCommitStartMs: stats(allFromStart),
    }
    fanout.push(result)
    log(
      `fan-out to ${clients} clients (from commit start): p50 ${result.perClientFromCommitStartMs['p50']} ms, ` +
        `p99 ${result.perClientFromCommitStartMs['p99']} ms; all ${clients} reached: ` +
        `p50 ${result.allClientsFromCommitStartMs['p50']} ms, max ${result.allClientsFromCommitStartMs['max']} ms`,
    )
    await swarm.stop({ op: 'close' })
    await waitForIdle()
  }

  // 4. Throughput: a burst of commits over 100 records, 100 clients subscribed to all of them.
  const BURST_RECORDS = 100
  const BURST_CLIENTS = 100
  swarm = await spawnSwarm()
  await swarm.ask({
    op: 'open',
    url: streamUrl,
    streams: BURST_CLIENTS,
    body: {
      subscriptions: Array.from({ length: BURST_RECORDS }, (_, i) => ({
        schema: 'items',
        id: `r${i}`,
      })),
    },
  })
  const eventsBefore = ((await swarm.ask({ op: 'count' })) as { events: number }).events
  const conflatedBefore = await gaugeValue(metrics.eventsConflated)
  const started = now()
  const burst = (await writer.ask({ op: 'burst', count: BURST, records: BURST_RECORDS })) as {
    ms: number
    lastId: string
    lastVersion: string
  }
  await swarm.ask({ op: 'await', id: burst.lastId, version: burst.lastVersion })
  const elapsedMs = now() - started
  const delivered = ((await swarm.ask({ op: 'count' })) as { events: number }).events - eventsBefore
  const throughput = {
    clients: BURST_CLIENTS,
    records: BURST_RECORDS,
    commits: BURST,
    commitsPerSecond: Math.round((BURST / burst.ms) * 1000),
    eventsDelivered: delivered,
    eventsPerSecond: Math.round((delivered / elapsedMs) * 1000),
    eventsConflated: (await gaugeValue(metrics.eventsConflated)) - conflatedBefore,
    elapsedMs: Math.round(elapsedMs),
  }
  log(
    `throughput: ${throughput.commitsPerSecond} commits/s in the writer → ${throughput.eventsPerSecond} events/s ` +
      `to ${BURST_CLIENTS} clients (${delivered} events, ${throughput.eventsConflated} conflated)`,
  )
  await swarm.stop({ op: 'close' })

  const cpus = os.cpus()
  const results = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()}`,
      node: process.version,
    },
    store: onFdb
      ? fdbTarget === 'double'
        ? 'fdb on the libfdb_c test double (not FoundationDB: our overhead only)'
        : `fdb cluster ${process.env['FDB_CLUSTER_FILE']}`
      : store.kind,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    memory: {
      bytesPerIdleStream: Math.round(idleBytes),
      idleStreams: IDLE,
      bytesPerSubscriptionWithOwnWatch: Math.round(perWatchedSubscription),
      bytesPerSubscriptionOnWatchedRecord: Math.round(perSharedSubscription),
      records: RECORDS,
      streams: 10,
      storeWatchesHeld: watchesHeld,
      note: 'heapUsed + external of the gateway process after full GC; kernel socket buffers not included',
    },
    fanout,
    throughput,
  }
  fs.mkdirSync(path.join(here, 'results'), { recursive: true })
  const file = onFdb ? `gateway-fdb-${fdbTarget}.json` : 'gateway.json'
  fs.writeFileSync(path.join(here, 'results', file), `${JSON.stringify(results, null, 2)}\n`)
  log(`wrote bench/results/${file}`)

  await writer.stop({ op: 'exit' })
  await running.close()
  await store.close()
  fs.rmSync(tmp, { recursive: true, force: true })
}

await main()
