/**
 * The writer process of bench/gateway.ts: commits to the shared data directory on request
 * (over IPC) and reports when each commit returned, on the wall clock all processes share.
 */
import { createRepo, defineSchema, openStore } from '../packages/core/src/index.js'

export type WriterRequest =
  | { op: 'put'; id: string; n: number }
  /** `count` commits as fast as possible, spread over `records` ids. */
  | { op: 'burst'; count: number; records: number }
  | { op: 'exit' }
export type WriterReply =
  | { version: string; startedAt: number; committedAt: number }
  | { commits: number; ms: number; lastId: string; lastVersion: string }

const now = (): number => performance.timeOrigin + performance.now()
// argv: `embedded <dataDir>` or `fdb` (the cluster file comes from FDB_CLUSTER_FILE)
const store =
  process.argv[2] === 'fdb'
    ? await openStore({ kind: 'fdb' })
    : await openStore({ kind: 'embedded', dataDir: process.argv[3]! })
const tenant = createRepo(store).tenant('bench')
const Item = defineSchema<{ n: number }>('items')

process.on('message', (message: WriterRequest) => {
  void (async () => {
    if (message.op === 'exit') {
      await store.close()
      process.exit(0)
    }
    if (message.op === 'put') {
      const startedAt = now()
      const { version } = await tenant.put(Item, message.id, { n: message.n })
      process.send!({ version, startedAt, committedAt: now() } satisfies WriterReply)
      return
    }
    const started = now()
    let lastId = ''
    let lastVersion = ''
    for (let i = 0; i < message.count; i++) {
      lastId = `r${i % message.records}`
      lastVersion = (await tenant.put(Item, lastId, { n: i })).version
    }
    process.send!({
      commits: message.count,
      ms: now() - started,
      lastId,
      lastVersion,
    } satisfies WriterReply)
  })()
})
process.send!({ ready: true })
