import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createRepo, openStore, type KvStore, type Repo, type StoreKind } from '@fdb-live/core'
import { createLogger } from '../logger.js'
import { startGateway, type RunningGateway, type StartGatewayOptions } from '../server.js'
import {
  clusterFileForTesting,
  defaultStoreForTesting,
  freshRootForTesting,
  type StoreTargetForTesting,
} from './stores.js'

/** Options for {@link startTestGateway}: any gateway option except the store and port. */
export type TestGatewayOptions = Omit<StartGatewayOptions, 'store' | 'port' | 'host'> & {
  /**
   * Which store: the embedded store in a fresh temporary directory, or FoundationDB (the
   * cluster of vitest's global setup, usually the libfdb_c test double) under a fresh repo
   * root. @default 'embedded', or 'fdb' when FDB_LIVE_TEST_STORE=fdb (how a whole vitest
   * project, e.g. react-sync's, runs on FoundationDB)
   */
  store?: StoreKind
  /** FoundationDB only: this repo root (kept afterwards, e.g. across a restart) instead of a fresh one. */
  root?: string
  /** FoundationDB only: this cluster (e.g. a fault-mode test double) instead of the suite's. */
  clusterFile?: string
  /** Use this data directory (kept afterwards) instead of a fresh temporary one (embedded only). */
  dataDir?: string
  /** The store's watch budget (to provoke `too_many_watches`). @default 10000 */
  maxWatches?: number
  /** Wraps the store the gateway uses (to inject faults, e.g. `faultyStoreForTesting`). */
  wrapStore?: (store: KvStore) => KvStore
  /** Wraps the repo the gateway uses (to inject faults or delays). */
  wrapRepo?: (repo: Repo) => Repo
}

/** A gateway on port 0 over a real store: LMDB in a temporary directory, or FoundationDB. */
export interface TestGateway extends AsyncDisposable {
  readonly url: string
  /** Where the store is, for other processes: `spawnWriterForTesting(gw)` opens the same. */
  readonly target: StoreTargetForTesting
  /** The embedded store's data directory; '' on FoundationDB (use `target`). */
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
  const {
    store: kind = defaultStoreForTesting(),
    clusterFile: givenClusterFile,
    root: givenRoot,
    dataDir: givenDir,
    maxWatches,
    wrapStore,
    wrapRepo,
    ...gatewayOptions
  } = options
  const watchBudget = maxWatches === undefined ? {} : { maxWatches }
  let target: StoreTargetForTesting
  let store: KvStore
  let cleanup: () => Promise<void>
  if (kind === 'fdb') {
    const clusterFile = givenClusterFile ?? clusterFileForTesting()
    const root = givenRoot ?? freshRootForTesting()
    target = { kind, clusterFile, root }
    store = await openStore({ kind, clusterFile, ...watchBudget })
    cleanup = () =>
      givenRoot === undefined ? clearRootForTesting(clusterFile, root) : Promise.resolve()
  } else {
    // A dot-free leaf: the embedded store treats a path with an extension as a file name.
    const dataDir =
      givenDir ?? path.join(await mkdtemp(path.join(os.tmpdir(), 'fdb-live-gw-')), 'data')
    target = { kind: 'embedded', dataDir }
    store = await openStore({ kind, dataDir, create: true, ...watchBudget })
    cleanup = () =>
      givenDir === undefined
        ? rm(path.dirname(dataDir), { recursive: true, force: true })
        : Promise.resolve()
  }
  const root = target.kind === 'fdb' ? { root: target.root } : {}
  const repo = createRepo(store, root)
  const served = wrapStore === undefined ? store : wrapStore(store)
  const servedRepo = served === store ? repo : createRepo(served, root)
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
      await cleanup()
    })()
    return closed
  }
  return {
    url: running.url,
    target,
    dataDir: target.kind === 'embedded' ? target.dataDir : '',
    store,
    repo,
    running,
    metrics: () => fetchMetrics(running.url),
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** Clears every key of a test's repo root on the shared cluster (its own connection: the test's store may be closed). */
export async function clearRootForTesting(clusterFile: string, root: string): Promise<void> {
  const store = await openStore({ kind: 'fdb', clusterFile })
  try {
    // The tuple encoding of (root) (docs/data-layout.md): 0x02, UTF-8, 0x00.
    const start = Buffer.concat([Buffer.of(0x02), Buffer.from(root, 'utf8'), Buffer.of(0x00)])
    await store.transact((tx) => {
      tx.clearRange(start, Buffer.concat([start, Buffer.of(0xff)]))
      return Promise.resolve()
    })
  } finally {
    await store.close()
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
