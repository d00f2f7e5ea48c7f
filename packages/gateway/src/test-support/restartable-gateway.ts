/**
 * A test gateway (see {@link startTestGateway}) behind a front server on a port that stays
 * the same across restarts, as a browser sees a gateway that is restarted, reset or
 * unreachable. The front counts requests (a browser's network panel) and can hold stream
 * requests without answering (a black-holed connection). Nothing of the gateway is mocked:
 * requests and responses are passed through byte for byte.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createRepo, openStore, type KvStore, type Repo } from '@fdb-live/core'
import {
  clearRootForTesting,
  startTestGateway,
  type TestGateway,
  type TestGatewayOptions,
} from './start-test-gateway.js'
import { clusterFileForTesting, defaultStoreForTesting, freshRootForTesting } from './stores.js'

/** A restartable gateway with request counters. */
export interface RestartableGatewayForTesting extends AsyncDisposable {
  /** The front's URL: the same across restarts. */
  readonly url: string
  /** The repo of the store, also while the gateway is stopped (after `openStore`). */
  repo(): Repo
  /** Stream requests (`POST` or `GET …/stream`) received so far, across restarts. */
  readonly streamRequests: number
  /** The JSON bodies of the `POST …/stream` requests, in order. */
  readonly streamBodies: readonly unknown[]
  /** `GET …/records/…` requests received so far. */
  readonly recordRequests: number
  /** One metric (`name{labels}`) of the running gateway; 0 when absent. */
  metric(name: string): Promise<number>
  /** While true, stream requests are accepted and never answered (no headers, no bytes). */
  holdStreams: boolean
  /** Stops the gateway (ending every stream) and closes its store; the data is kept. */
  stop(): Promise<void>
  /** Opens the store without serving (to write while the gateway is down). */
  openStore(): Promise<void>
  /**
   * Deletes the stopped gateway's data (the embedded store's directory; FoundationDB: every
   * key of its repo root, the epoch included): the next start gets a new, empty store.
   */
  wipe(): Promise<void>
  /** Starts the gateway again on the same data directory, behind the same URL. */
  start(): Promise<void>
  close(): Promise<void>
}

/**
 * Starts a gateway and its front on free ports over a fresh store: a temporary data
 * directory, or on FoundationDB a repo root of its own (`options.store`, which defaults to
 * FDB_LIVE_TEST_STORE as for {@link startTestGateway}).
 */
export async function startRestartableGatewayForTesting(
  options: Omit<TestGatewayOptions, 'dataDir' | 'root'> = {},
): Promise<RestartableGatewayForTesting> {
  const kind = options.store ?? defaultStoreForTesting()
  const root = await mkdtemp(path.join(os.tmpdir(), 'fdb-live-restartable-'))
  const dataDir = path.join(root, 'data')
  // FoundationDB: the same repo root across restarts is what the same directory is.
  const fdb =
    kind === 'fdb'
      ? { clusterFile: options.clusterFile ?? clusterFileForTesting(), root: freshRootForTesting() }
      : undefined
  let backend: TestGateway | undefined
  let offline: { store: KvStore; repo: Repo } | undefined
  const held = new Set<http.ServerResponse>()
  const counts = { stream: 0, record: 0 }
  const streamBodies: unknown[] = []

  const front = http.createServer((req, res) => {
    const isStream = req.url?.split('?')[0]?.endsWith('/stream') === true
    if (isStream) counts.stream += 1
    if (req.method === 'GET' && req.url?.includes('/records/')) counts.record += 1
    if (isStream && req.method === 'POST') collectBody(req, streamBodies)
    if (isStream && harness.holdStreams) {
      held.add(res)
      res.once('close', () => held.delete(res))
      return
    }
    if (backend === undefined) {
      req.socket.destroy() // connection refused, as far as the client can tell
      return
    }
    const upstream = http.request(
      `${backend.url}${req.url ?? '/'}`,
      { method: req.method, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        res.flushHeaders()
        answer.pipe(res)
      },
    )
    upstream.once('error', () => res.destroy())
    res.once('close', () => upstream.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`

  const start = async (): Promise<void> => {
    if (backend !== undefined) return
    await offline?.store.close()
    offline = undefined
    backend = await startTestGateway(
      fdb === undefined
        ? { ...options, store: kind, dataDir }
        : { ...options, store: kind, clusterFile: fdb.clusterFile, root: fdb.root },
    )
  }
  const stop = async (): Promise<void> => {
    const running = backend
    backend = undefined
    await running?.close()
    await offline?.store.close()
    offline = undefined
  }
  const close = async (): Promise<void> => {
    await stop()
    for (const res of held) res.destroy()
    front.closeAllConnections()
    await new Promise<void>((resolve) => front.close(() => resolve()))
    await rm(root, { recursive: true, force: true })
    if (fdb !== undefined) await clearRootForTesting(fdb.clusterFile, fdb.root)
  }

  const harness: RestartableGatewayForTesting = {
    url,
    repo() {
      const repo = backend?.repo ?? offline?.repo
      if (repo === undefined) throw new Error('The gateway is stopped (call openStore first).')
      return repo
    },
    get streamRequests() {
      return counts.stream
    },
    streamBodies,
    get recordRequests() {
      return counts.record
    },
    async metric(name) {
      return (await backend?.metrics())?.get(name) ?? 0
    },
    holdStreams: false,
    stop,
    async openStore() {
      if (backend !== undefined || offline !== undefined) return
      // After `wipe` this makes a new store (the embedded store needs `create` for that).
      const store =
        fdb === undefined
          ? await openStore({ kind: 'embedded', dataDir, create: true })
          : await openStore({ kind: 'fdb', clusterFile: fdb.clusterFile })
      offline = { store, repo: createRepo(store, fdb === undefined ? {} : { root: fdb.root }) }
    },
    async wipe() {
      await stop()
      if (fdb === undefined) await rm(dataDir, { recursive: true, force: true })
      else await clearRootForTesting(fdb.clusterFile, fdb.root)
    },
    start,
    close,
    [Symbol.asyncDispose]: close,
  }
  await start()
  return harness
}

function collectBody(req: http.IncomingMessage, into: unknown[]): void {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.once('end', () => {
    try {
      into.push(JSON.parse(Buffer.concat(chunks).toString('utf8')))
    } catch {
      into.push(undefined)
    }
  })
}
