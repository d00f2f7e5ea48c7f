/**
 * Starts the demo's API server: `node --conditions=@fdb-live/source --import tsx
 * apps/quote-web/server/main.ts --port 4002 [--store embedded|fdb] [--data-dir DIR]
 * [--cluster-file FILE] [--seed]`. `--store` defaults to `FDB_LIVE_STORE`, then the
 * embedded store; it must be the store the gateway watches.
 *
 * `--seed` writes the seed's first quote (replace on conflict) before listening, as the
 * seed does before it starts its LiveView. SIGINT/SIGTERM close the server and the store.
 *
 * FDB_LIVE_AUTH_SECRET (the gateway's HS256 secret): issue gateway tokens at `POST
 * /api/token`, living DEMO_TOKEN_LIFETIME_SEC seconds (default 60).
 */
import { once } from 'node:events'
import { parseArgs } from 'node:util'
import { createRepo, isSyncError } from '@fdb-live/core'
import { QUOTE_TENANT, seedFirstQuote } from '../src/quote-schema.js'
import { createApiServer } from './api-server.js'
import { DEMO_STORE_OPTIONS, demoStoreKind, openDemoStore } from './demo-store.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env['QUOTE_API_PORT'] ?? '4002' },
    host: { type: 'string', default: '127.0.0.1' },
    ...DEMO_STORE_OPTIONS,
    seed: { type: 'boolean', default: false },
  },
})

const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`api: --port must be a port number, got ${JSON.stringify(values.port)}.`)
  process.exit(2)
}

let kind
try {
  kind = demoStoreKind(values.store)
} catch (error) {
  console.error(`api: ${isSyncError(error) ? error.message : String(error)}`)
  process.exit(2)
}
// The demo's API server may start a new embedded store: it seeds the first quote.
const store = await openDemoStore({
  store: kind,
  dataDir: values['data-dir'],
  clusterFile: values['cluster-file'],
  create: true,
})
const repo = createRepo(store)
console.log(`api: on the ${kind === 'fdb' ? 'FoundationDB' : 'embedded'} store`)

if (values.seed) {
  const { version } = await seedFirstQuote(repo.tenant(QUOTE_TENANT))
  console.log(`api: seeded the first quote (version ${version})`)
}

const authSecret = process.env['FDB_LIVE_AUTH_SECRET']
const lifetimeSec = Number(process.env['DEMO_TOKEN_LIFETIME_SEC'] ?? 60)
if (authSecret) console.log(`api: issuing gateway tokens that live ${lifetimeSec} s`)
const app = createApiServer({
  repo,
  tokens: authSecret ? { secret: authSecret, lifetimeSec } : undefined,
  onError: (error) => console.error('api: request failed:', error),
  onRequest: (line) => console.log(`api: ${line}`),
})
const server = app.listen(port, values.host)
try {
  await once(server, 'listening')
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code
  console.error(
    code === 'EADDRINUSE'
      ? `api: port ${port} is already in use on ${values.host}.`
      : `api: cannot listen on ${values.host}:${port}: ${String(error)}`,
  )
  await store.close()
  process.exit(1)
}
console.log(`api: listening on http://${values.host}:${port}`)

let stopping = false
async function stop(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  console.log(`api: ${signal}, shutting down`)
  server.closeAllConnections()
  server.close()
  await store.close()
  process.exit(0)
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void stop(signal))
}
