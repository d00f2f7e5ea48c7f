/**
 * The FoundationDB store: {@link KvStore} over the `foundationdb` npm binding (2.0.1,
 * API version 720). The binding is loaded on the first {@link openFdbStore} call.
 *
 *   open ──transact / ping──▶ open ──close()──▶ closed (transact/ping → store_closed)
 *
 * close() cancels outstanding watches, waits for running transactions, and destroys the
 * database handle. It does not stop the client's network thread: FoundationDB allows
 * one network per process, started by the binding on the first open and never again
 * after a stop, so stopping it would break any store opened later in this process. The
 * binding stops it itself when the process exits.
 */
import type { Database } from 'foundationdb'
import { SyncError } from '../errors.js'
import { loadFdbBinding } from './fdb-binding.js'
import { fdbOpenErrorToSyncError } from './fdb-errors.js'
import { fdbTransact, sweepMarkers } from './fdb-transact.js'
import { asBuffer } from './fdb-transaction.js'
import type { WatchRegistry } from './fdb-watch.js'
import type { KvStore, KvTransaction, TransactOptions } from './store.js'

/** Options for {@link openFdbStore}. */
export interface FdbStoreOptions {
  /**
   * Path of the cluster file (one line such as `docker:docker@127.0.0.1:4500`).
   * @default the client library's choice: `$FDB_CLUSTER_FILE`, then `./fdb.cluster`, then
   * `/etc/foundationdb/fdb.cluster`
   */
  clusterFile?: string
  /**
   * Database option `max_watches`: the most outstanding watches on this connection
   * (every watch counts, also several on one key). Over it, a watch rejects with
   * `too_many_watches`. At most 1,000,000.
   * @default 10000 (FoundationDB's default)
   */
  maxWatches?: number
  /**
   * Bytes put in front of every key this store reads or writes, and taken off the keys
   * it returns: a raw namespace, e.g. one per test run. The repo's tuple `root` is the
   * usual way to share a cluster.
   * @default none
   */
  keyPrefix?: Uint8Array
  /**
   * Timeout of {@link KvStore.ping}, so a health check answers promptly when the
   * cluster is unreachable (FoundationDB would otherwise wait for it).
   * @default 2000
   */
  pingTimeoutMs?: number
}

const API_VERSION = 720
const MAX_WATCHES_LIMIT = 1_000_000
const DEFAULT_MAX_RETRIES = 100
const DEFAULT_TIMEOUT_MS = 5000
const DEFAULT_PING_TIMEOUT_MS = 2000
const SWEEP_EVERY_MS = 10_000

/**
 * Opens a FoundationDB database as a {@link KvStore}. Connecting is lazy (that is how
 * the client works): an unreachable cluster shows up as `store_unavailable` from
 * {@link KvStore.ping} or a transaction's timeout, not here.
 *
 * @throws SyncError `fdb_library_missing` when the `foundationdb` package or
 * `libfdb_c.so` is not installed; `invalid_config` for bad options or cluster file.
 */
export async function openFdbStore(options: FdbStoreOptions = {}): Promise<KvStore> {
  const { clusterFile, maxWatches, keyPrefix } = options
  const pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS
  if (
    maxWatches !== undefined &&
    (!Number.isInteger(maxWatches) || maxWatches < 0 || maxWatches > MAX_WATCHES_LIMIT)
  ) {
    throw new SyncError(
      'invalid_config',
      `maxWatches must be an integer from 0 to ${MAX_WATCHES_LIMIT}, got ${maxWatches}.`,
    )
  }
  assertPositiveInteger('pingTimeoutMs', pingTimeoutMs)

  const fdb = await loadFdbBinding()
  let db: Database
  try {
    // Process-wide and idempotent for the same version; it throws if another part of
    // the process chose a different one.
    fdb.setAPIVersion(API_VERSION)
    db = fdb.open(clusterFile, maxWatches === undefined ? {} : { max_watches: maxWatches })
  } catch (error) {
    throw fdbOpenErrorToSyncError(error, clusterFile)
  }
  return new FdbStore(keyPrefix === undefined ? db : db.at(asBuffer(keyPrefix)), pingTimeoutMs)
}

class FdbStore implements KvStore {
  readonly kind = 'fdb'
  readonly #db: Database
  readonly #pingTimeoutMs: number
  readonly #watches: WatchRegistry = new Set()
  readonly #running = new Set<Promise<unknown>>()
  #closed = false
  #lastSweep = Date.now()

  constructor(db: Database, pingTimeoutMs: number) {
    this.#db = db
    this.#pingTimeoutMs = pingTimeoutMs
  }

  transact<T>(body: (tx: KvTransaction) => Promise<T>, options: TransactOptions = {}): Promise<T> {
    return this.#track(async () => {
      const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES
      const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
      assertPositiveInteger('maxRetries', maxRetries, true)
      assertPositiveInteger('timeoutMs', timeoutMs)
      const result = await fdbTransact(this.#db, this.#watches, body, {
        maxRetries,
        timeoutMs,
        closed: () => this.#closed,
      })
      this.#sweepNowAndThen()
      return result
    })
  }

  /** Clears old commit markers (fdb-commit-marker.ts) at most every {@link SWEEP_EVERY_MS}. */
  #sweepNowAndThen(): void {
    const now = Date.now()
    if (now - this.#lastSweep < SWEEP_EVERY_MS || this.#closed) return
    this.#lastSweep = now
    void this.#track(() => sweepMarkers(this.#db))
  }

  ping(): Promise<void> {
    return this.#track(async () => {
      try {
        // Getting a read version needs the cluster to answer and reads no data. Retries
        // (the default) go on until the timeout.
        await this.#db.doTn((tn) => tn.getReadVersion(), { timeout: this.#pingTimeoutMs })
      } catch (error) {
        throw new SyncError(
          'store_unavailable',
          `FoundationDB did not answer a ping (timeout ${this.#pingTimeoutMs} ms): ` +
            `${error instanceof Error ? error.message : String(error)}. ` +
            'Check the cluster file and that the cluster is up (fdbcli --exec status).',
          { cause: error },
        )
      }
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const watch of this.#watches) watch.cancel()
    // Transactions are bounded by their timeouts; let them finish before the handle goes,
    // then cancel the watches they registered meanwhile.
    await Promise.allSettled(this.#running)
    for (const watch of this.#watches) watch.cancel()
    this.#db.close()
  }

  #track<T>(run: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new SyncError('store_closed', 'The FoundationDB store is closed.'))
    }
    const promise = run()
    this.#running.add(promise)
    const forget = (): void => void this.#running.delete(promise)
    promise.then(forget, forget)
    return promise
  }
}

function assertPositiveInteger(name: string, value: number, zeroAllowed = false): void {
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1)) {
    throw new SyncError(
      'invalid_config',
      `${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer, got ${value}.`,
    )
  }
}
