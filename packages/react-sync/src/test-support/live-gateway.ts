/**
 * A real gateway for integration tests, in-process over the embedded LMDB store, behind a
 * thin HTTP server of our own that counts stream requests (what a browser's network panel
 * would show). It can restart on the same port and data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createRepo, openStore, type KvStore, type Repo } from '@fdb-live/core'
import { createGateway, createLogger, type Gateway } from '@fdb-live/gateway'

/** Options for {@link startLiveGatewayForTesting}. */
export interface LiveGatewayOptions {
  /** Passed to the embedded store (e.g. 1 to provoke `too_many_watches`). */
  maxWatches?: number
}

/** A running gateway with request counters. */
export interface LiveGatewayForTesting extends AsyncDisposable {
  readonly url: string
  repo(): Repo
  /** `POST …/stream` requests received since start (across restarts). */
  readonly streamRequests: number
  /** `GET …/records/…` requests received since start. */
  readonly recordRequests: number
  /** One metric of the current gateway instance (`name{labels}`), 0 when absent. */
  metric(name: string): Promise<number>
  /** Stops the gateway (ending every stream) and closes its store; keeps the data. */
  stop(): Promise<void>
  /** Opens the store again without serving (to write while the gateway is down). */
  openStore(): Promise<void>
  /** Starts again on the same port and data directory. */
  start(): Promise<void>
  close(): Promise<void>
}

/** Starts a gateway on a free port over a fresh temporary data directory. */
export async function startLiveGatewayForTesting(
  options: LiveGatewayOptions = {},
): Promise<LiveGatewayForTesting> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'fdb-live-react-sync-'))
  const dataDir = path.join(root, 'data')
  let store: KvStore | undefined
  let repo: Repo | undefined
  let gateway: Gateway | undefined
  let server: http.Server | undefined
  let port = 0
  let streamRequests = 0
  let recordRequests = 0

  const open = async (): Promise<void> => {
    if (store !== undefined) return
    store = await openStore({
      kind: 'embedded',
      dataDir,
      create: true,
      ...(options.maxWatches === undefined ? {} : { maxWatches: options.maxWatches }),
    })
    repo = createRepo(store)
  }

  const start = async (): Promise<void> => {
    await open()
    if (store === undefined || repo === undefined) throw new Error('unreachable')
    const current = createGateway({ store, repo, logger: createLogger({ level: 'silent' }) })
    gateway = current
    server = http.createServer((req, res) => {
      if (req.method === 'POST' && req.url?.endsWith('/stream')) streamRequests += 1
      if (req.method === 'GET' && req.url?.includes('/records/')) recordRequests += 1
      void current.app(req, res)
    })
    const listening = server
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject)
      listening.listen(port, '127.0.0.1', () => resolve())
    })
    port = (listening.address() as AddressInfo).port
  }

  const stop = async (): Promise<void> => {
    const s = server
    server = undefined
    if (s !== undefined) {
      const closed = new Promise<void>((resolve) => s.close(() => resolve()))
      await gateway?.close()
      s.closeAllConnections()
      await closed
    }
    await store?.close()
    store = undefined
    repo = undefined
  }

  await start()
  const close = async (): Promise<void> => {
    await stop()
    await rm(root, { recursive: true, force: true })
  }
  return {
    url: `http://127.0.0.1:${port}`,
    repo() {
      if (repo === undefined) throw new Error('The gateway is stopped.')
      return repo
    },
    get streamRequests() {
      return streamRequests
    },
    get recordRequests() {
      return recordRequests
    },
    async metric(name) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      const line = text.split('\n').find((l) => l.startsWith(`${name} `))
      return line === undefined ? 0 : Number(line.slice(name.length + 1))
    },
    stop,
    openStore: open,
    start,
    close,
    [Symbol.asyncDispose]: close,
  }
}
