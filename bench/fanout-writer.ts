/**
 * The writer process of bench/fanout-vs-nchan.ts. One write per request, timed on the
 * wall clock all benchmark processes share, from the moment the write starts:
 * - gateway: a Repo commit of record `items/hot` to the embedded store (durable, as an
 *   app server's write would be); the gateway sees it through its store watch;
 * - nchan: the publish POST of the same JSON to nginx.
 */
import http from 'node:http'
import { createRepo, defineSchema, openStore, type KvStore } from '../packages/core/src/index.js'
import { benchValue, nchanMessage, type BenchValue } from './fanout-payload.js'

export type WriterRequest =
  | { op: 'open-store'; dataDir: string }
  | { op: 'write'; n: number; publishUrl?: string }
  /** Writes n = from … from + count - 1 back to back. */
  | { op: 'burst'; from: number; count: number; publishUrl?: string }
  | { op: 'exit' }
export type WriterReply = { startedAt: number; doneAt: number }

const now = (): number => performance.timeOrigin + performance.now()
const Item = defineSchema<BenchValue>('items')
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
let store: KvStore | undefined
let tenant: ReturnType<ReturnType<typeof createRepo>['tenant']> | undefined

function publish(url: string, n: number): Promise<void> {
  const body = nchanMessage(n)
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    })
    req.on('response', (res) => {
      res.resume()
      res.on('end', () =>
        res.statusCode !== undefined && res.statusCode < 300
          ? resolve()
          : reject(new Error(`publish answered ${res.statusCode}`)),
      )
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function write(n: number, publishUrl: string | undefined): Promise<void> {
  if (publishUrl !== undefined) return publish(publishUrl, n)
  if (tenant === undefined) throw new Error('write before open-store')
  await tenant.put(Item, 'hot', benchValue(n))
}

process.on('message', (message: WriterRequest) => {
  void (async () => {
    switch (message.op) {
      case 'open-store':
        store = await openStore({ kind: 'embedded', dataDir: message.dataDir })
        tenant = createRepo(store).tenant('bench')
        process.send!({ startedAt: now(), doneAt: now() } satisfies WriterReply)
        return
      case 'write': {
        const startedAt = now()
        await write(message.n, message.publishUrl)
        process.send!({ startedAt, doneAt: now() } satisfies WriterReply)
        return
      }
      case 'burst': {
        const startedAt = now()
        for (let n = message.from; n < message.from + message.count; n++)
          await write(n, message.publishUrl)
        process.send!({ startedAt, doneAt: now() } satisfies WriterReply)
        return
      }
      case 'exit':
        agent.destroy()
        await store?.close()
        process.exit(0)
    }
  })()
})
// The benchmark went away (killed, crashed): do not outlive it holding sockets.
process.on('disconnect', () => process.exit(0))
process.send!({ ready: true })
