/**
 * The writer process of bench/many-records.ts: random writes over many records at a fixed
 * rate, each a durable Repo commit to the embedded store the gateway watches. Every value
 * carries its record's write count `n` (1, 2, …: clients detect loss and reordering with
 * it) and `t`, the wall-clock time its write started (clients compute latency from it).
 */
import { createRepo, defineSchema, openStore, type KvStore } from '../packages/core/src/index.js'
import { seeded } from './seeded.js'
import { stats } from './stats.js'

export interface ManyValue {
  n: number
  /** performance.timeOrigin + performance.now() when the write started. */
  t: number
}

export type ManyWriterRequest =
  | { op: 'open-store'; dataDir: string }
  | { op: 'run'; records: number; ratePerS: number; durationS: number; seed: number }
  | { op: 'exit' }
export type ManyWriterReply =
  | { op: 'opened' }
  | {
      op: 'ran'
      writes: number
      seconds: number
      /** Per record (index = record number): how many writes it got, i.e. its last `n`. */
      lastN: number[]
      commitMs: Record<string, number>
      /** Writes that started more than 100 ms after their slot (the writer fell behind). */
      late: number
    }

/** Writes in flight at most; past it the schedule slips (counted as `late`). */
const MAX_IN_FLIGHT = 256
const TICK_MS = 10
const now = (): number => performance.timeOrigin + performance.now()
const Item = defineSchema<ManyValue>('items')
let store: KvStore | undefined

const recordId = (i: number): string => `r${i}`

async function run(
  message: Extract<ManyWriterRequest, { op: 'run' }>,
): Promise<Extract<ManyWriterReply, { op: 'ran' }>> {
  const tenant = createRepo(store!).tenant('bench')
  const random = seeded(message.seed)
  const lastN = new Array<number>(message.records).fill(0)
  const total = Math.round(message.ratePerS * message.durationS)
  const commitMs: number[] = []
  let issued = 0
  let inFlight = 0
  let late = 0
  const started = now()
  const pending = new Set<Promise<void>>()
  // Writes to one record are chained, so that commit order is `n` order.
  const chains = new Map<number, Promise<void>>()
  while (issued < total) {
    const due = Math.min(total, Math.floor(((now() - started) / 1000) * message.ratePerS) + 1)
    while (issued < due && inFlight < MAX_IN_FLIGHT) {
      const slot = started + (issued / message.ratePerS) * 1000
      const record = Math.floor(random() * message.records)
      const n = ++lastN[record]!
      if (now() - slot > 100) late += 1
      issued += 1
      inFlight += 1
      const write = (chains.get(record) ?? Promise.resolve()).then(async () => {
        const t = now()
        await tenant.put(Item, recordId(record), { n, t })
        commitMs.push(now() - t)
        inFlight -= 1
        pending.delete(write)
        if (chains.get(record) === write) chains.delete(record)
      })
      chains.set(record, write)
      pending.add(write)
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS))
  }
  await Promise.all(pending)
  return {
    op: 'ran',
    writes: issued,
    seconds: Math.round(now() - started) / 1000,
    lastN,
    commitMs: stats(commitMs),
    late,
  }
}

process.on('message', (message: ManyWriterRequest) => {
  void (async () => {
    switch (message.op) {
      case 'open-store':
        store = await openStore({ kind: 'embedded', dataDir: message.dataDir, create: true })
        process.send!({ op: 'opened' } satisfies ManyWriterReply)
        return
      case 'run':
        process.send!(await run(message))
        return
      case 'exit':
        await store?.close()
        process.exit(0)
    }
  })()
})
process.on('disconnect', () => process.exit(0))
process.send!({ ready: true })
