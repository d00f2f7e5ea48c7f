/**
 * Many records (issue 12, target 3): 1,000 streams × 100 subscriptions over 20,000 records
 * (100,000 subscriptions), random writes at 1,000/s for 60 s, on one gateway process:
 * p99 write → receipt, lost and reordered values, the gateway's RSS. Side by side, the
 * naive way with the same primitives: one stream per record subscription, and a GET refetch
 * on each change (bench/many-records-clients.ts): its connections, requests/s and latency.
 *
 *   node --conditions=@fdb-live/source --import tsx bench/many-records.ts [options]
 *
 *   --smoke              50 streams × 20 subscriptions over 500 records, 200 writes/s for
 *                        3 s, naive 200 connections; checks delivery, never timings
 *   --streams N          (default 1000)   --subs N (default 100)   --records N (default 20000)
 *   --rate N             writes/s (default 1000)   --duration-s S (default 60)
 *   --naive-connections N  connections of the naive run (default: as many as the file
 *                          limit allows, see below)
 *   --naive-duration-s S   (default 30)
 *   --cpu-prof DIR       the fdb-live run's gateway under `node --cpu-prof`, profile in DIR
 *
 * The naive way needs one connection per subscription: 100,000 here. Each benchmark process
 * may hold at most `ulimit -Hn` files (20,000 on the machine of docs/benchmarks.md), and the
 * gateway holds every connection, so the naive run is scaled down to --naive-connections
 * (same records, same write rate) and its connections and requests/s are also given
 * extrapolated to the full 100,000 subscriptions. The output says so.
 *
 * Writes bench/results/many-records.json (smoke: into the temporary directory). Exits 1
 * when a value was lost or reordered in the fdb-live run.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startGatewayTarget } from './fanout-gateway-target.js'
import { IpcChild } from './ipc-child.js'
import type { ManyClientsReply, ManyClientsRequest } from './many-records-clients.js'
import type { ManyWriterReply, ManyWriterRequest } from './many-records-writer.js'
import { fileLimit, loadAverage, rssBytes } from './proc.js'
import { seeded } from './seeded.js'
import { stats } from './stats.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const log = (message: string): void => console.error(`[bench:many-records] ${message}`)
const argv = process.argv.slice(2)
const smoke = argv.includes('--smoke')
const num = (name: string, full: number, small: number): number => {
  const at = argv.indexOf(name)
  return at < 0 ? (smoke ? small : full) : Number(argv[at + 1])
}
const config = {
  streams: num('--streams', 1000, 50),
  subs: num('--subs', 100, 20),
  records: num('--records', 20_000, 500),
  ratePerS: num('--rate', 1000, 200),
  durationS: num('--duration-s', 60, 3),
  /** NaN: as many as the open-file limit allows. */
  naiveConnections: num('--naive-connections', NaN, 200),
  naiveDurationS: num('--naive-duration-s', 30, 3),
}
const profileAt = argv.indexOf('--cpu-prof')
const cpuProfileDir = profileAt < 0 ? undefined : path.resolve(argv[profileAt + 1]!)
/** Connections per client process. */
const PER_CLIENT = 5000
/**
 * How long after the last write every subscription may take to reach its record's last
 * value before the ones that have not count as lost: long, because a gateway that falls
 * behind is late, not lossy, and the two must not be confused.
 */
const SETTLE_MS = 45_000
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
type Clients = IpcChild<ManyClientsRequest, ManyClientsReply>

/** Each stream's subscriptions: `subs` distinct records, the same every run (seeded). */
function pickRecords(streams: number, subs: number, records: number, seed: number): number[][] {
  const random = seeded(seed)
  return Array.from({ length: streams }, () => {
    const mine = new Set<number>()
    while (mine.size < Math.min(subs, records)) mine.add(Math.floor(random() * records))
    return [...mine]
  })
}

async function phase(
  mode: 'streams' | 'naive',
  lists: number[][],
  durationS: number,
  dir: string,
  limit: ReturnType<typeof fileLimit>,
): Promise<Record<string, unknown>> {
  const dataDir = path.join(dir, `data-${mode}`)
  const writer = new IpcChild<ManyWriterRequest, ManyWriterReply>('many-records-writer.ts', [])
  await writer.ready
  await writer.ask({ op: 'open-store', dataDir })
  const target = await startGatewayTarget({
    workers: 1,
    fileLimit: limit,
    dir,
    dataDir,
    ...(mode === 'streams' && cpuProfileDir !== undefined ? { cpuProfileDir } : {}),
  })
  const base = target.streamUrl.slice(0, target.streamUrl.indexOf('/v1/'))
  const rss = (): number => target.servingPids().reduce((sum, pid) => sum + rssBytes(pid), 0)
  const rssBefore = rss()
  const connections = mode === 'streams' ? lists.length : lists.flat().length
  const perClient = mode === 'streams' ? PER_CLIENT : Math.ceil(PER_CLIENT / lists[0]!.length)
  const clients: Clients[] = []
  const opened: Extract<ManyClientsReply, { op: 'opened' }>[] = []
  for (let i = 0; i * perClient < lists.length; i++) {
    const child: Clients = new IpcChild('many-records-clients.ts', [], limit.prefix)
    await child.ready
    clients.push(child)
  }
  opened.push(
    ...(await Promise.all(
      clients.map((child, i) =>
        child.ask<Extract<ManyClientsReply, { op: 'opened' }>>({
          op: 'open',
          mode,
          base,
          streams: lists.slice(i * perClient, (i + 1) * perClient),
          localAddress: `127.3.${mode === 'streams' ? 1 : 2}.${i + 1}`,
          concurrency: 128,
        }),
      ),
    )),
  )
  const failed = opened.reduce((sum, o) => sum + o.failed, 0)
  const openMs = Math.round(Math.max(...opened.map((o) => o.ms)))
  await sleep(1000)
  const rssIdle = rss()
  log(
    `${mode}: ${connections} connections open in ${openMs} ms (${failed} failed); ` +
      `writing ${config.ratePerS}/s for ${durationS} s…`,
  )
  let rssPeak = rssIdle
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rss())), 1000)
  const ran = await writer.ask<Extract<ManyWriterReply, { op: 'ran' }>>({
    op: 'run',
    records: config.records,
    ratePerS: config.ratePerS,
    durationS,
    seed: 7,
  })
  // Wait until every subscription has its record's last write, or SETTLE_MS.
  const settleStart = Date.now()
  let behind = Infinity
  while (behind > 0 && Date.now() - settleStart < SETTLE_MS) {
    const checks = await Promise.all(
      clients.map((c) =>
        c.ask<Extract<ManyClientsReply, { op: 'checked' }>>({ op: 'check', lastN: ran.lastN }),
      ),
    )
    behind = checks.reduce((sum, c) => sum + c.behind, 0)
    if (behind > 0) await sleep(200)
  }
  clearInterval(sampler)
  const reports = await Promise.all(
    clients.map((c) => c.ask<Extract<ManyClientsReply, { op: 'report' }>>({ op: 'report' })),
  )
  const sum = (key: 'events' | 'requests' | 'requestErrors' | 'reordered' | 'skipped'): number =>
    reports.reduce((total, r) => total + r[key], 0)
  const result = {
    mode,
    connections,
    subscriptions: lists.flat().length,
    open: { ms: openMs, failed },
    writes: ran.writes,
    writeSeconds: ran.seconds,
    writesLate: ran.late,
    commitMs: ran.commitMs,
    latencyMs: stats(reports.flatMap((r) => r.latencyMs)),
    eventsReceived: sum('events'),
    requests: sum('requests'),
    requestsPerSecond: Math.round(sum('requests') / ran.seconds),
    requestErrors: sum('requestErrors'),
    /** Subscriptions not at their record's last write SETTLE_MS after it. */
    lost: behind,
    settleMs: Date.now() - settleStart,
    reordered: sum('reordered'),
    skippedIntermediate: sum('skipped'),
    streamsEnded: reports.reduce((total, r) => total + r.ended, 0),
    gatewayRss: { beforeBytes: rssBefore, idleBytes: rssIdle, peakBytes: rssPeak },
    loadAverage: loadAverage(),
  }
  log(
    `${mode}: p50 ${result.latencyMs['p50']} ms, p99 ${result.latencyMs['p99']} ms; ` +
      `lost ${result.lost}, reordered ${result.reordered}; ${result.requestsPerSecond} GET/s; ` +
      `gateway RSS peak ${Math.round(rssPeak / 2 ** 20)} MiB`,
  )
  await Promise.all(clients.map((c) => c.stop({ op: 'close' })))
  await target.stop()
  await writer.stop({ op: 'exit' })
  return result
}

async function main(): Promise<number> {
  const startedAt = Date.now()
  const loadBefore = loadAverage()
  const fullConnections = config.streams * config.subs
  const limit = fileLimit(
    Math.max(
      Number.isNaN(config.naiveConnections) ? fullConnections : config.naiveConnections,
      config.streams,
    ) + 1024,
  )
  log(`load average before: ${loadBefore.join(' ')}; open files: ${limit.how}`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fdb-live-bench-many-'))
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  const lists = pickRecords(config.streams, config.subs, config.records, 1)
  const fdbLive = await phase('streams', lists, config.durationS, dir, limit)

  // The gateway holds every naive connection plus the refetches' (64 per client process).
  const room = limit.nofile - 1024
  const asked = Number.isNaN(config.naiveConnections) ? fullConnections : config.naiveConnections
  const naiveConnections = Math.min(asked, fullConnections, room)
  const naiveLists = lists.slice(0, Math.max(1, Math.floor(naiveConnections / config.subs)))
  const scale = fullConnections / naiveLists.flat().length
  const scaledNote =
    scale > 1
      ? `SCALED DOWN: the naive way needs ${fullConnections} connections (one per subscription); ` +
        (asked > room
          ? `the gateway may hold ${limit.nofile} files (${limit.how}), `
          : `--naive-connections ${asked} asked for fewer, `) +
        `so it ran with ${naiveLists.flat().length} (${naiveLists.length} clients × ${config.subs}); ` +
        `full-scale requests/s are extrapolated ×${scale.toFixed(1)}`
      : 'full scale'
  log(`naive: ${scaledNote}`)
  const naive = await phase('naive', naiveLists, config.naiveDurationS, dir, limit)
  const results = {
    date: new Date().toISOString(),
    mode: smoke ? 'smoke' : 'full',
    config,
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown' },
    loadAverage: { before: loadBefore, after: loadAverage() },
    openFiles: limit.how,
    durationS: Math.round((Date.now() - startedAt) / 100) / 10,
    fdbLive,
    naive: {
      ...naive,
      scaledNote,
      atFullScale: {
        connections: fullConnections,
        requestsPerSecond: Math.round((naive['requestsPerSecond'] as number) * scale),
      },
    },
  }
  const out = smoke
    ? path.join(os.tmpdir(), 'fdb-live-many-records-smoke.json')
    : path.join(here, 'results', 'many-records.json')
  fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
  log(
    `fdb-live: ${fullConnections / config.subs} connections, 0 GET/s; naive at full scale: ` +
      `${fullConnections} connections, ~${results.naive.atFullScale.requestsPerSecond} GET/s`,
  )
  log(
    `load average after: ${results.loadAverage.after.join(' ')}; ${results.durationS} s; wrote ${out}`,
  )
  const bad = (fdbLive['lost'] as number) + (fdbLive['reordered'] as number)
  if (bad > 0) log(`LOST OR REORDERED in the fdb-live run: ${bad}`)
  return bad === 0 ? 0 : 1
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
process.exitCode = await main()
