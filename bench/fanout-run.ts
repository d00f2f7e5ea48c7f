/**
 * One measurement of bench/fanout-vs-nchan.ts: one server, N streams, R timed rounds and
 * a burst. The server is started fresh for each run, so that its memory growth is that
 * of these streams only.
 */
import type { ClientsReply, ClientsRequest } from './fanout-clients.js'
import type { FanoutTarget, TargetName } from './fanout-target.js'
import type { WriterReply, WriterRequest } from './fanout-writer.js'
import { IpcChild } from './ipc-child.js'
import { cpuMs, loadAverage, rssBytes } from './proc.js'
import { stats } from './stats.js'

/** Streams per client process: a client's parsing must not be the bottleneck it measures. */
const STREAMS_PER_CLIENT = 5000
/** Connections each client process sets up at once (listen backlogs are 511 by default). */
const OPEN_CONCURRENCY = 128
const ROUND_TIMEOUT_MS = 30_000

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n)
/** Rounds are numbered across the whole run: the record keeps its value between runs. */
let round = 0

export interface FanoutRunOptions {
  name: TargetName
  /** Serving processes (recorded with the run). */
  workers: number
  start: () => Promise<FanoutTarget>
  writer: IpcChild<WriterRequest, WriterReply>
  dataDir: string
  streams: number
  rounds: number
  /** Writes back to back after the rounds, for events/s (0: none). */
  burst: number
  /** Record the monotonic-clock windows of the connect and fan-out phases. */
  profile: boolean
  /**
   * Idle time before the baseline RSS is read, and again after the rounds and the burst
   * before RSS is read once more (0: none). A garbage-collected server's RSS right after
   * thousands of streams opened holds the garbage of opening them until its collector's
   * idle-time pass (V8's memory reducer, 10–20 s after the process goes quiet, and only
   * after a full collection armed it); the settled RSS is what idle streams cost once it
   * ran. The baseline waits as long, so that it too is read after a fresh process gave
   * back its start-up heap. Both servers wait the same times.
   */
  settleMs: number
  /** A fresh number for each client process's local address. */
  nextAddress: () => number
  /** Command prefix for the client processes (the raised file limit). */
  prefix: string[]
  log: (message: string) => void
}

export interface FanoutRun {
  target: TargetName
  workers: number
  streams: number
  rounds: number
  clientProcesses: number
  open: { ms: number; failed: number }
  /** Write start → receipt, one sample per stream per round. */
  latencyMs: Record<string, number>
  /** Write start → receipt at the last stream, one sample per round. */
  allReachedMs: Record<string, number>
  /**
   * Write start → receipt at the first stream, one sample per round: the fixed latency in
   * front of the fan-out (the commit, its notification and read; nchan's publish request).
   */
  firstReachedMs: Record<string, number>
  /** First receipt → last receipt, one sample per round: the fan-out itself. */
  spreadMs: Record<string, number>
  /** The write itself: the commit, or the publish request until its answer. */
  writeMs: Record<string, number>
  delivery: { expected: number; delivered: number; missing: number }
  memory: {
    rssBeforeBytes: number
    /** 1 s after the last stream opened. */
    rssIdleBytes: number
    /** After the rounds, the burst and `settleMs` of idle time; null when the run did not wait. */
    rssSettledBytes: number | null
    rssAfterRoundsBytes: number
    /**
     * The gateway's V8 heap at the baseline, 1 s after opening and settled, from its own
     * `/metrics` (one worker only): what the RSS growth is made of.
     */
    gatewayHeap?: Record<'before' | 'idle' | 'settled', HeapSpaces | null>
    /** From {@link rssIdleBytes}: right after opening (the peak of a reconnect storm). */
    rssGrowthPerStreamKiB: number | null
    /** From {@link rssSettledBytes}: what an idle stream costs once the server is idle. */
    rssSettledGrowthPerStreamKiB: number | null
  }
  burst: {
    writes: number
    eventsExpected: number
    eventsDelivered: number
    eventsPerSecond: number
    ms: number
  } | null
  /**
   * CPU time of the serving processes over the timed rounds per 1,000 events delivered:
   * flat as streams grow means each stream costs the same (issue 12, target 6).
   */
  cpuMsPerKiloEvent: number
  /**
   * Events per second while one write fans out: streams / (write start → last receipt,
   * p50 of the rounds). Unlike the burst's rate, conflation does not lower it.
   */
  fanoutEventsPerSecond: number
  loadAverage: number[]
  /** CLOCK_MONOTONIC microseconds, the clock of V8's CPU profiles. */
  windowsUs?: { connect: [number, number]; fanout: [number, number] }
}

/** Sizes of V8's heap spaces, MiB, as the gateway's Prometheus gauges report them. */
export interface HeapSpaces {
  /** The young generation: both semi-spaces, which V8 grows under allocation up to 32 MiB. */
  newSpaceMiB: number
  oldSpaceMiB: number
  /** Bytes held by objects in every space, live or not yet collected. */
  usedMiB: number
}

type Clients = IpcChild<ClientsRequest, ClientsReply>

/** Reads the gateway's heap gauges; null when the endpoint does not answer. */
async function readHeap(metricsUrl: string | undefined): Promise<HeapSpaces | null> {
  if (metricsUrl === undefined) return null
  try {
    const text = await (await fetch(metricsUrl)).text()
    const gauge = (pattern: RegExp): number => {
      const value = Number(pattern.exec(text)?.[1])
      return Math.round((value / 2 ** 20) * 10) / 10
    }
    return {
      newSpaceMiB: gauge(/^\w*nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/m),
      oldSpaceMiB: gauge(/^\w*nodejs_heap_space_size_total_bytes\{space="old"\} (\d+)/m),
      usedMiB: gauge(/^\w*nodejs_heap_size_used_bytes (\d+)/m),
    }
  } catch {
    return null
  }
}

/** One run's result, and the latency samples of each timed round for the bootstrap (bench/stats.ts). */
export interface FanoutOutcome {
  run: FanoutRun
  /** Write start → receipt, ms, per stream, one array per timed round. */
  rounds: number[][]
}

export async function runFanout(options: FanoutRunOptions): Promise<FanoutOutcome> {
  const { streams, log } = options
  const target = await options.start()
  const rss = (): number => target.servingPids().reduce((sum, pid) => sum + rssBytes(pid), 0)
  const cpu = (): number => target.servingPids().reduce((sum, pid) => sum + cpuMs(pid), 0)
  if (target.publishUrl === undefined)
    await options.writer.ask({ op: 'open-store', dataDir: options.dataDir })
  const settle = options.settleMs > 0 && streams >= 100
  // Before the baseline too: a fresh Node process gives back part of its start-up heap
  // some seconds after it goes idle, and the growth must not count that.
  await sleep(settle ? options.settleMs : 300)
  const rssBeforeBytes = rss()
  const heapOf = (): Promise<HeapSpaces | null> =>
    options.workers === 1 ? readHeap(target.metricsUrl) : Promise.resolve(null)
  const heapBefore = await heapOf()

  const count = Math.ceil(streams / STREAMS_PER_CLIENT)
  const clients: Clients[] = []
  for (let i = 0; i < count; i++) {
    const child: Clients = new IpcChild('fanout-clients.ts', [], options.prefix)
    await child.ready
    clients.push(child)
  }
  const connectStart = monotonicUs()
  const opened = await Promise.all(
    clients.map((child, i) => {
      const a = options.nextAddress()
      return child.ask<Extract<ClientsReply, { op: 'opened' }>>({
        op: 'open',
        url: target.streamUrl,
        streams: Math.floor(streams / count) + (i < streams % count ? 1 : 0),
        readyOn: target.readyOn,
        localAddress: `127.1.${Math.floor(a / 250)}.${(a % 250) + 1}`,
        concurrency: OPEN_CONCURRENCY,
      })
    }),
  )
  const connectEnd = monotonicUs()
  const open = {
    ms: Math.round(Math.max(...opened.map((o) => o.ms))),
    failed: opened.reduce((sum, o) => sum + o.failed, 0),
  }
  await sleep(1000) // let the server settle before its idle memory is read
  const rssIdleBytes = rss()
  const heapIdle = await heapOf()
  log(
    `${target.name}: ${streams} streams open in ${open.ms} ms (${open.failed} failed), ` +
      `RSS +${Math.round((rssIdleBytes - rssBeforeBytes) / 1024)} KiB`,
  )

  const write = (n: number, op: 'write' | 'burst', burst = 1): Promise<WriterReply> =>
    options.writer.ask(
      op === 'write'
        ? { op, n, ...(target.publishUrl === undefined ? {} : { publishUrl: target.publishUrl }) }
        : {
            op,
            from: n,
            count: burst,
            ...(target.publishUrl === undefined ? {} : { publishUrl: target.publishUrl }),
          },
    )
  const awaitRound = async (
    n: number,
  ): Promise<{ reached: number; lost: number; arrivals: number[] }> => {
    const replies = await Promise.all(
      clients.map((c) =>
        c.ask<Extract<ClientsReply, { op: 'arrived' }>>({
          op: 'await',
          n,
          timeoutMs: ROUND_TIMEOUT_MS,
        }),
      ),
    )
    return {
      reached: replies.reduce((sum, r) => sum + r.reached, 0),
      lost: replies.reduce((sum, r) => sum + r.lost, 0),
      arrivals: replies.flatMap((r) => r.arrivals),
    }
  }

  // One warm-up round (JIT, first-use paths), not counted; then the timed rounds.
  await awaitRound((await write(++round, 'write'), round))
  const fanoutStart = monotonicUs()
  const cpuBefore = cpu()
  const perRound: number[][] = []
  const allReached: number[] = []
  const firstReached: number[] = []
  const spread: number[] = []
  const writeTimes: number[] = []
  let delivered = 0
  for (let r = 0; r < options.rounds; r++) {
    const n = ++round
    const w = await write(n, 'write')
    const { reached, arrivals } = await awaitRound(n)
    delivered += reached
    writeTimes.push(w.doneAt - w.startedAt)
    const times = arrivals.filter(Number.isFinite).map((t) => t - w.startedAt)
    perRound.push(times)
    const first = Math.min(...times)
    const last = Math.max(...times)
    allReached.push(last)
    firstReached.push(first)
    spread.push(last - first)
    await sleep(streams === 1 ? 5 + Math.random() * 10 : 20 + Math.random() * 30)
  }
  const fanoutEnd = monotonicUs()
  const cpuRounds = cpu() - cpuBefore
  const deliveredInRounds = delivered
  const rssAfterRoundsBytes = rss()

  let burst: FanoutRun['burst'] = null
  if (options.burst > 0) {
    const countEvents = async (): Promise<number> =>
      (
        await Promise.all(
          clients.map((c) => c.ask<Extract<ClientsReply, { op: 'count' }>>({ op: 'count' })),
        )
      ).reduce((sum, r) => sum + r.events, 0)
    const before = await countEvents()
    const from = round + 1
    round += options.burst
    const w = await write(from, 'burst', options.burst)
    const last = await awaitRound(round)
    const eventsDelivered = (await countEvents()) - before
    const ms = Math.max(...last.arrivals.filter(Number.isFinite)) - w.startedAt
    delivered += last.reached
    burst = {
      writes: options.burst,
      eventsExpected: options.burst * streams,
      eventsDelivered,
      eventsPerSecond: Math.round((eventsDelivered / ms) * 1000),
      ms: Math.round(ms),
    }
  }
  let rssSettledBytes: number | null = null
  let heapSettled: HeapSpaces | null = null
  if (settle) {
    log(`${target.name}: ${streams} streams left idle for ${options.settleMs / 1000} s…`)
    await sleep(options.settleMs)
    rssSettledBytes = rss()
    heapSettled = await heapOf()
    log(
      `${target.name}: RSS +${Math.round((rssSettledBytes - rssBeforeBytes) / 1024)} KiB after ` +
        `${options.settleMs / 1000} s idle`,
    )
  }
  const expected = streams * (options.rounds + (options.burst > 0 ? 1 : 0))
  const run: FanoutRun = {
    target: target.name,
    workers: options.workers,
    streams,
    rounds: options.rounds,
    clientProcesses: count,
    open,
    latencyMs: stats(perRound.flat()),
    allReachedMs: stats(allReached),
    firstReachedMs: stats(firstReached),
    spreadMs: stats(spread),
    writeMs: stats(writeTimes),
    delivery: { expected, delivered, missing: expected - delivered },
    memory: {
      rssBeforeBytes,
      rssIdleBytes,
      rssAfterRoundsBytes,
      ...(heapBefore === null
        ? {}
        : { gatewayHeap: { before: heapBefore, idle: heapIdle, settled: heapSettled } }),
      rssGrowthPerStreamKiB:
        streams < 100
          ? null
          : Math.round(((rssIdleBytes - rssBeforeBytes) / streams / 1024) * 10) / 10,
      rssSettledBytes,
      rssSettledGrowthPerStreamKiB:
        rssSettledBytes === null
          ? null
          : Math.round(((rssSettledBytes - rssBeforeBytes) / streams / 1024) * 10) / 10,
    },
    burst,
    cpuMsPerKiloEvent: Math.round((cpuRounds / Math.max(1, deliveredInRounds)) * 1000 * 100) / 100,
    fanoutEventsPerSecond: Math.round(
      (streams / Math.max(0.001, stats(allReached)['p50']!)) * 1000,
    ),
    loadAverage: loadAverage(),
    ...(options.profile
      ? { windowsUs: { connect: [connectStart, connectEnd], fanout: [fanoutStart, fanoutEnd] } }
      : {}),
  }
  log(
    `${target.name} ×${options.workers}: ${streams} streams, ${options.rounds} rounds: p50 ${run.latencyMs['p50']} ms, ` +
      `p99 ${run.latencyMs['p99']} ms; delivered ${delivered}/${expected}` +
      (burst
        ? `; burst ${burst.eventsPerSecond} events/s (${burst.eventsDelivered}/${burst.eventsExpected})`
        : ''),
  )
  await Promise.all(clients.map((c) => c.stop({ op: 'close' })))
  await target.stop()
  return { run, rounds: perRound }
}
