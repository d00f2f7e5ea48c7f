/**
 * The server process of bench/collections.ts, one of two ways to serve a live collection:
 *
 *   delta  the fdb-live gateway: one watch on the collection head, each fire reads only
 *          the version index after the last version sent and sends what changed
 *   seed   the seed's approach (ecto_foundationdb "Sync Engine Part II"): a watch on the
 *          collection, and on every fire a full re-read of every member, sent whole
 *
 *   node --conditions=@fdb-live/source --import tsx bench/collections-server.ts <mode> <dataDir>
 *
 * Prints `{"port","pid"}` on stdout once it listens. SSE at `/v1/tenants/bench/stream?list=items`
 * (delta) or `/seed` (seed).
 */
import http from 'node:http'
import { createRepo, defineSchema, openStore } from '../packages/core/src/index.js'
import { createLogger, startGateway } from '../packages/gateway/src/index.js'

const [mode, dataDir] = process.argv.slice(2)
const store = await openStore({ kind: 'embedded', dataDir: dataDir! })
const MAX = 20_000

if (mode === 'delta') {
  const running = await startGateway({
    store,
    port: 0,
    logger: createLogger({ level: 'silent' }),
    maxCollectionSize: MAX,
    corsOrigins: '*',
  })
  process.stdout.write(`${JSON.stringify({ port: running.port, pid: process.pid })}\n`)
} else {
  const tenant = createRepo(store, { maxCollectionSize: MAX }).tenant('bench')
  const Item = defineSchema<unknown>('items')
  const clients = new Set<http.ServerResponse>()
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
    res.flushHeaders()
    clients.add(res)
    res.on('close', () => clients.delete(res))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`)
  // The seed's loop: read everything and arm the watch in one transaction, send it all.
  for (;;) {
    const { members, watch } = await tenant.transact(async (tx) => ({
      members: await tx.list(Item),
      watch: tx.watchCollection(Item),
    }))
    const frame = `event: collection\ndata: ${JSON.stringify(members)}\n\n`
    for (const res of clients) res.write(frame)
    await watch.changed
  }
}
