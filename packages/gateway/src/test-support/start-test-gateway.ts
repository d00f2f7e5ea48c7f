import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createRepo, openStore, type KvStore, type Repo } from '@fdb-live/core'
import { createLogger } from '../logger.js'
import { startGateway, type RunningGateway, type StartGatewayOptions } from '../server.js'

/** Options for {@link startTestGateway}: any gateway option except the store and port. */
export type TestGatewayOptions = Omit<StartGatewayOptions, 'store' | 'port' | 'host'> & {
  /** Use this data directory (kept afterwards) instead of a fresh temporary one. */
  dataDir?: string
  /** The store's watch budget (to provoke `too_many_watches`). @default 10000 */
  maxWatches?: number
  /** Wraps the store the gateway uses (to inject faults, e.g. `faultyStoreForTesting`). */
  wrapStore?: (store: KvStore) => KvStore
  /** Wraps the repo the gateway uses (to inject faults or delays). */
  wrapRepo?: (repo: Repo) => Repo
}

/** A gateway on port 0 over a real LMDB store in a temporary directory. */
export interface TestGateway extends AsyncDisposable {
  readonly url: string
  readonly dataDir: string
  /** The store itself (no injected faults): for the test's own reads and writes. */
  readonly store: KvStore
  readonly repo: Repo
  readonly running: RunningGateway
  /** `GET /metrics`, parsed into `name{labels}` → value. */
  metrics(): Promise<Map<string, number>>
  close(): Promise<void>
}

/**
 * Starts a gateway for a test: `await using gw = await startTestGateway()`. Disposal closes
 * the gateway and the store and removes the temporary data directory.
 */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const { dataDir: givenDir, maxWatches, wrapStore, wrapRepo, ...gatewayOptions } = options
  // A dot-free leaf: the embedded store treats a path with an extension as a file name.
  const dataDir =
    givenDir ?? path.join(await mkdtemp(path.join(os.tmpdir(), 'fdb-live-gw-')), 'data')
  const store = await openStore({
    kind: 'embedded',
    dataDir,
    create: true,
    ...(maxWatches === undefined ? {} : { maxWatches }),
  })
  const repo = createRepo(store)
  const served = wrapStore === undefined ? store : wrapStore(store)
  const servedRepo = served === store ? repo : createRepo(served)
  const running = await startGateway({
    logger: createLogger(process.env.FDB_LIVE_LOG_LEVEL === undefined ? { level: 'silent' } : {}),
    ...gatewayOptions,
    store: served,
    repo: wrapRepo === undefined ? servedRepo : wrapRepo(servedRepo),
    port: 0,
    host: '127.0.0.1',
  })
  let closed: Promise<void> | undefined
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await running.close()
      await store.close()
      if (givenDir === undefined) await rm(path.dirname(dataDir), { recursive: true, force: true })
    })()
    return closed
  }
  return {
    url: running.url,
    dataDir,
    store,
    repo,
    running,
    metrics: () => fetchMetrics(running.url),
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** Reads `GET /metrics` into a map of `name{labels}` → value. */
export async function fetchMetrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const values = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue
    const space = line.lastIndexOf(' ')
    values.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return values
}
