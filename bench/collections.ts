/**
 * Benchmark of live collections (issue 13): a collection that grows from 1,000 to 10,000
 * members, 10 writes/s to its members, 100 SSE subscribers. Per size it measures the bytes
 * each subscriber receives per change and the server's CPU per change, for the fdb-live
 * gateway (`delta`: one watch per collection head, each fire reads and sends only what
 * changed) and for the seed's approach (`seed`: a full re-read and a full send on every
 * fire), on the same load. Embedded store; writer, clients and driver in this process, the
 * server in a child process (its CPU is read from /proc).
 *
 *   node --conditions=@fdb-live/source --import tsx bench/collections.ts
 *
 * Environment: BENCH_CLIENTS (default 100), BENCH_CHANGES (writes per size, default 30),
 * BENCH_SIZES (default 1000,2500,5000,10000), BENCH_MODES (default delta,seed). Writes bench/results/collections.json.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createRepo, defineSchema, openStore, type TenantRepo } from '../packages/core/src/index.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 100)
const CHANGES = Number(process.env['BENCH_CHANGES'] ?? 30)
const SIZES = (process.env['BENCH_SIZES'] ?? '1000,2500,5000,10000').split(',').map(Number)
const WRITE_INTERVAL_MS = 100 // 10 writes/s
const SOURCE = ['--conditions=@fdb-live/source', '--import', 'tsx']
const TICKS_PER_SECOND = 100
const log = (message: string): void => console.error(`[bench:collections] ${message}`)
const Item = defineSchema<{ n: number; label: string }>('items')

interface Row {
  mode: 'delta' | 'seed'
  members: number
  changes: number
  clients: number
  bytesPerChangePerClient: number
  serverCpuMsPerChange: number
  /** Frames the server had to send: fewer than changes when fires coalesced. */
  deliverySeconds: number
}

/** One SSE client that counts bytes and remembers the newest version it saw. */
class CountingClient {
  bytes = 0
  newest = ''
  /** Resolves with the response headers: the server has the client in its set by then. */
  readonly connected: Promise<void>
  #tail = ''
  readonly #req: http.ClientRequest

  constructor(url: string) {
    let connected!: () => void
    this.connected = new Promise((resolve) => (connected = resolve))
    this.#req = http.get(url, { agent: false }, (res) => {
      connected()
      res.setEncoding('latin1')
      res.on('data', (chunk: string) => {
        this.bytes += chunk.length
        const text = this.#tail + chunk
        for (const match of text.matchAll(/"version":"([0-9a-f]{20})"/g)) {
          if (match[1]! > this.newest) this.newest = match[1]!
        }
        this.#tail = text.slice(-40)
      })
    })
    this.#req.on('error', () => {})
  }

  close(): void {
    this.#req.destroy()
  }
}

function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for the clients')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function grow(tenant: TenantRepo, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 250) {
    await tenant.transact(async (tx) => {
      for (let i = start; i < Math.min(to, start + 250); i++) {
        await tx.put(Item, `item-${String(i).padStart(5, '0')}`, { n: 0, label: `member ${i}` })
      }
    })
  }
}

async function runMode(mode: 'delta' | 'seed'): Promise<Row[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `fdb-live-bench-coll-${mode}-`))
  const store = await openStore({ kind: 'embedded', dataDir, create: true })
  const tenant = createRepo(store, { maxCollectionSize: 20_000 }).tenant('bench')
  await grow(tenant, 0, SIZES[0]!)
  const child: ChildProcess = spawn(
    process.execPath,
    [...SOURCE, path.join(here, 'collections-server.ts'), mode, dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const lines = readline.createInterface({ input: child.stdout! })
  const first = await lines[Symbol.asyncIterator]().next()
  const { port, pid } = JSON.parse(first.value as string) as { port: number; pid: number }
  const url =
    mode === 'delta'
      ? `http://127.0.0.1:${port}/v1/tenants/bench/stream?list=items`
      : `http://127.0.0.1:${port}/seed`
  const clients = Array.from({ length: CLIENTS }, () => new CountingClient(url))
  await Promise.all(clients.map((client) => client.connected))
  const rows: Row[] = []
  try {
    let members = SIZES[0]!
    for (const size of SIZES) {
      await grow(tenant, members, size)
      members = size
      // One unmeasured change, so the clients have caught up with the growth (and the
      // delta clients with their initial list) before the measured changes start.
      const warm = (await tenant.put(Item, 'item-00000', { n: -1, label: 'warm-up' })).version
      await until(() => clients.every((c) => c.newest >= warm), 300_000)
      const bytesBefore = clients.reduce((sum, c) => sum + c.bytes, 0)
      const ticksBefore = cpuTicks(pid)
      const started = performance.now()
      let last = ''
      for (let i = 0; i < CHANGES; i++) {
        const id = `item-${String(Math.floor(Math.random() * size)).padStart(5, '0')}`
        last = (await tenant.put(Item, id, { n: i + 1, label: `changed ${i}` })).version
        await new Promise((resolve) => setTimeout(resolve, WRITE_INTERVAL_MS))
      }
      await until(() => clients.every((c) => c.newest >= last), 300_000)
      const seconds = (performance.now() - started) / 1000
      const bytes = clients.reduce((sum, c) => sum + c.bytes, 0) - bytesBefore
      const ticks = cpuTicks(pid) - ticksBefore
      const row: Row = {
        mode,
        members: size,
        changes: CHANGES,
        clients: CLIENTS,
        bytesPerChangePerClient: Math.round(bytes / CHANGES / CLIENTS),
        serverCpuMsPerChange: Math.round(((ticks / TICKS_PER_SECOND) * 1000 * 10) / CHANGES) / 10,
        deliverySeconds: Math.round(seconds * 10) / 10,
      }
      log(JSON.stringify(row))
      rows.push(row)
    }
  } finally {
    for (const client of clients) client.close()
    child.kill()
    await store.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
  return rows
}

const MODES = (process.env['BENCH_MODES'] ?? 'delta,seed').split(',') as Array<'delta' | 'seed'>
const rows: Row[] = []
for (const mode of MODES) rows.push(...(await runMode(mode)))
const result = {
  benchmark: 'collections',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, load: os.loadavg() },
  load: { clients: CLIENTS, writesPerSecond: 1000 / WRITE_INTERVAL_MS, changesPerSize: CHANGES },
  note:
    'bytesPerChangePerClient: SSE bytes each subscriber received per write; serverCpuMsPerChange: ' +
    'CPU of the server process per write (user + system, 10 ms ticks). The seed sends the ' +
    'whole list on every fire; its fires coalesce when a full read takes longer than 100 ms.',
  rows,
}
fs.mkdirSync(path.join(here, 'results'), { recursive: true })
fs.writeFileSync(
  path.join(here, 'results', 'collections.json'),
  `${JSON.stringify(result, null, 2)}\n`,
)
log('wrote bench/results/collections.json')
