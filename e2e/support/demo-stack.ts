import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startFdbDouble } from '@fdb-live/fdb-double'
import { SOURCE_FLAGS, freePort, runNode, startNode, waitForOk } from './processes.js'
import type { ManagedProcess } from './processes.js'

/**
 * The store a demo stack runs on: `embedded` (LMDB in a temporary directory), or `fdb`: the
 * real `foundationdb` binding on the libfdb_c TEST DOUBLE (test/fdb-double, not FoundationDB),
 * a fresh server per stack.
 */
export type DemoStore = 'embedded' | 'fdb'

/**
 * The demo as the tests run it: `scripts/demo.mjs` (API server + Vite) on free ports and a
 * temporary data directory (or a test double's cluster), with the gateway started here
 * rather than by demo.mjs (DEMO_GATEWAY_URL), so that a test can `kill -9` it and start it
 * again. Every process (gateway, API server, change-quote) gets the same store.
 */
export interface DemoStack {
  readonly store: DemoStore
  readonly webUrl: string
  readonly gatewayUrl: string
  readonly dataDir: string
  /** The gateway's pid, for `kill -9`. */
  gatewayPid(): number | undefined
  /** `kill -9` the gateway and wait until it is gone. */
  killGateway(): Promise<void>
  /** Starts the gateway again, on the same port and data, and waits for /v1/healthz. */
  startGateway(): Promise<void>
  /** The gateway's open SSE streams (its `fdb_live_gateway_open_streams` metric). */
  openStreams(): Promise<number>
  /** Runs the real `scripts/change-quote.mjs` as a separate process; returns its output. */
  changeQuote(author: string, content: string): Promise<string>
  /** Runs the real `scripts/add-quote.mjs` as a separate process; returns its output. */
  addQuote(author: string, content: string): Promise<string>
  /** The store's quotes (the API server's `GET /api/quotes`), in ascending id order. */
  storeQuotes(): Promise<StoreQuote[]>
  /** Asks the API server to delete a quote (`DELETE /api/quotes/:id`). */
  deleteQuote(id: string): Promise<void>
  /** How many lines the processes printed so far (to report only a test's own lines). */
  logMark(): number
  /** The lines the processes printed (since `from`), with timestamps. */
  logs(from?: number): string
  stop(): Promise<void>
}

/** A quote as the store has it. */
export interface StoreQuote {
  id: string
  version: string
  value: { author: string; content: string; likes: number }
}

/** Options for {@link startDemoStack}. */
export interface DemoStackOptions {
  /** How long the page's gateway tokens live (the API server's DEMO_TOKEN_LIFETIME_SEC). @default 60 */
  tokenLifetimeSec?: number
}

export async function startDemoStack(
  store: DemoStore = 'embedded',
  options: DemoStackOptions = {},
): Promise<DemoStack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'fdb-live-e2e-'))
  const [gatewayPort, apiPort, webPort] = [await freePort(), await freePort(), await freePort()]
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`
  const webUrl = `http://127.0.0.1:${webPort}/`
  const double = store === 'fdb' ? await startFdbDouble() : undefined
  // FDB_CLUSTER_FILE and LD_LIBRARY_PATH (read when a process starts) for every process.
  const storeEnv: Record<string, string> =
    double === undefined
      ? { FDB_LIVE_DATA_DIR: dataDir, FDB_LIVE_STORE: 'embedded' }
      : { FDB_LIVE_DATA_DIR: dataDir, FDB_LIVE_STORE: 'fdb', ...double.env }
  // Auth on, as in `pnpm demo`: the gateway started here and the demo's API server share
  // the secret (demo.mjs makes its own only when it starts the gateway itself).
  const env = { ...storeEnv, FDB_LIVE_AUTH_SECRET: randomBytes(32).toString('base64url') }
  const storeArgs =
    double === undefined
      ? ['--store', 'embedded', '--data-dir', dataDir, '--create']
      : ['--store', 'fdb', '--cluster-file', double.clusterFile]
  const sink: string[] = []
  let gateway: ManagedProcess | undefined

  async function startGateway(): Promise<void> {
    gateway = startNode(
      'gateway',
      [
        ...SOURCE_FLAGS,
        'packages/gateway/src/cli.ts',
        'gateway',
        '--port',
        String(gatewayPort),
        ...storeArgs,
        '--cors-origin',
        webUrl.replace(/\/$/, ''),
      ],
      { env, sink },
    )
    await Promise.race([
      waitForOk(`${gatewayUrl}/v1/healthz`),
      gateway.exited.then(() => {
        throw new Error(`The gateway exited at start:\n${gateway?.output.join('\n')}`)
      }),
    ])
  }

  await startGateway()
  const demo = startNode('demo', ['scripts/demo.mjs'], {
    env: {
      ...env,
      DEMO_GATEWAY_URL: gatewayUrl,
      DEMO_API_PORT: String(apiPort),
      DEMO_WEB_PORT: String(webPort),
      ...(options.tokenLifetimeSec === undefined
        ? {}
        : { DEMO_TOKEN_LIFETIME_SEC: String(options.tokenLifetimeSec) }),
    },
    sink,
  })
  try {
    await demo.waitForLine(/\[demo\] ready in/)
  } catch (error) {
    await gateway?.stop()
    await double?.stop()
    throw error
  }

  return {
    store,
    webUrl,
    gatewayUrl,
    dataDir,
    gatewayPid: () => gateway?.child.pid,
    async killGateway() {
      await gateway?.stop('SIGKILL')
    },
    startGateway,
    async openStreams() {
      const metrics = await (await fetch(`${gatewayUrl}/metrics`)).text()
      const match = /^fdb_live_gateway_open_streams (\d+)$/m.exec(metrics)
      if (match === null)
        throw new Error(`No fdb_live_gateway_open_streams in /metrics:\n${metrics}`)
      return Number(match[1])
    },
    async changeQuote(author, content) {
      const result = await runNode('change-quote', ['scripts/change-quote.mjs', author, content], {
        env,
        sink,
      })
      if (result.code !== 0) throw new Error(`change-quote failed:\n${result.output}`)
      return result.output
    },
    async addQuote(author, content) {
      const result = await runNode('add-quote', ['scripts/add-quote.mjs', author, content], {
        env,
        sink,
      })
      if (result.code !== 0) throw new Error(`add-quote failed:\n${result.output}`)
      return result.output
    },
    async storeQuotes() {
      const response = await fetch(new URL('/api/quotes', webUrl))
      if (!response.ok) throw new Error(`GET /api/quotes: ${response.status}`)
      return ((await response.json()) as { quotes: StoreQuote[] }).quotes
    },
    async deleteQuote(id) {
      const url = new URL(`/api/quotes/${encodeURIComponent(id)}`, webUrl)
      const response = await fetch(url, { method: 'DELETE' })
      if (response.status !== 204) throw new Error(`DELETE ${url.pathname}: ${response.status}`)
    },
    logMark: () => sink.length,
    logs: (from = 0) => sink.slice(from).join('\n'),
    async stop() {
      await demo.stop('SIGTERM')
      await gateway?.stop('SIGTERM')
      await double?.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
