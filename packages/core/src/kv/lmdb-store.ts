import { SyncError } from '../errors.js'
import { backoffDelayMs, wait } from '../retry.js'
import { commitAttempt } from './lmdb-commit.js'
import { dataDirUnavailable, openLmdbDatabases, readCounter } from './lmdb-env.js'
import type { LmdbDatabases } from './lmdb-env.js'
import { CommitNotifier } from './lmdb-notifier.js'
import { SnapshotSource } from './lmdb-snapshots.js'
import { LmdbTransaction } from './lmdb-transaction.js'
import { WatchRegistry } from './lmdb-watch-registry.js'
import type { KvStore, KvTransaction, StoreKind, StoreStatus, TransactOptions } from './store.js'

/** Options for {@link openLmdbStore}. */
export interface LmdbStoreOptions {
  /** The data directory. Several processes may open it at once. */
  dataDir: string
  /**
   * Create the store when `dataDir` holds none (and the directory when it is missing).
   * Otherwise opening a directory without a store rejects with `store_not_found`.
   * @default false
   */
  create?: boolean
  /** Most outstanding watches of this handle, as FoundationDB's `max_watches`. @default 10000 */
  maxWatches?: number
  /**
   * Commits kept in the change log that watches are matched against. A watch older than
   * the log fires (spuriously, which watches allow). @default 10000
   */
  changeLogSize?: number
  /** Safety poll for watches, should a file notification be lost. @default 1000 */
  pollIntervalMs?: number
}

/**
 * Opens the embedded store: LMDB in `dataDir`, durable, shared by every process that
 * opens the same directory (a commit in one fires the watches of the others).
 * Rejects with `store_not_found` when there is no store and `create` is not set, and with
 * `data_dir_unavailable` when the directory cannot be opened.
 */
export function openLmdbStore(options: LmdbStoreOptions): Promise<KvStore> {
  try {
    return Promise.resolve(new LmdbStore(options))
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)))
  }
}

type Attempt<T> = { committed: true; value: T } | { committed: false }

/** Conflicting writers retry quickly: their transactions are short. */
const CONFLICT_BACKOFF = { baseDelayMs: 1, maxDelayMs: 20 }

class LmdbStore implements KvStore {
  readonly kind: StoreKind = 'embedded'
  private readonly dbs: LmdbDatabases
  private readonly registry: WatchRegistry
  private readonly notifier: CommitNotifier
  private readonly changeLogSize: number
  private readonly snapshots: SnapshotSource
  private closed: Promise<void> | undefined

  constructor(options: LmdbStoreOptions) {
    const { dataDir, pollIntervalMs = 1000 } = options
    this.dbs = openLmdbDatabases(dataDir, options.create ?? false)
    this.snapshots = new SnapshotSource(this.dbs.root)
    this.changeLogSize = Math.max(1, options.changeLogSize ?? 10_000)
    this.registry = new WatchRegistry(options.maxWatches ?? 10_000, (count) =>
      this.notifier.setActive(count),
    )
    try {
      this.notifier = new CommitNotifier(dataDir, this.dbs, this.registry, pollIntervalMs)
    } catch (error) {
      void this.dbs.root.close()
      throw dataDirUnavailable(dataDir, error)
    }
  }

  async transact<T>(
    body: (tx: KvTransaction) => Promise<T>,
    options: TransactOptions = {},
  ): Promise<T> {
    const maxRetries = options.maxRetries ?? 100
    const timeoutMs = options.timeoutMs ?? 5000
    const deadline = performance.now() + timeoutMs
    for (let attempt = 0; ; attempt++) {
      const result = await this.attempt(body, deadline, timeoutMs)
      if (result.committed) return result.value
      if (attempt >= maxRetries) {
        throw new SyncError(
          'transaction_conflict',
          `The transaction conflicted ${attempt + 1} times (maxRetries ${maxRetries}): retry later, or make transactions smaller.`,
        )
      }
      // Jittered, so that conflicting writers drift apart.
      await wait(backoffDelayMs(attempt, CONFLICT_BACKOFF))
      if (performance.now() > deadline) throw timeoutError(timeoutMs)
    }
  }

  status(): StoreStatus {
    return { commitWakeups: this.notifier.wakeups }
  }

  ping(): Promise<void> {
    try {
      this.assertOpen()
      this.dbs.root.resetReadTxn()
      readCounter(this.dbs)
      return Promise.resolve()
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.registry.closeAll()
      this.notifier.close()
      await this.dbs.root.close()
    })()
    return this.closed
  }

  /** One run of `body` and its commit; `committed: false` on a conflict. */
  private async attempt<T>(
    body: (tx: KvTransaction) => Promise<T>,
    deadline: number,
    timeoutMs: number,
  ): Promise<Attempt<T>> {
    this.assertOpen()
    const snapshot = this.snapshots.take()
    const tx = new LmdbTransaction(this.dbs, snapshot, this.registry)
    let value: T
    let baseline: number
    try {
      baseline = readCounter(this.dbs, snapshot)
      value = await body(tx)
      tx.seal()
      if (performance.now() > deadline) throw timeoutError(timeoutMs)
    } catch (error) {
      const reason = this.closed === undefined ? error : storeClosed()
      tx.failed(
        reason instanceof SyncError
          ? reason
          : new SyncError('internal', 'The transaction body threw.', { cause: error }),
      )
      throw reason
    } finally {
      if (this.closed === undefined) snapshot.done()
    }
    const wrote = !tx.buffer.isEmpty
    try {
      this.assertOpen()
      if (wrote) {
        const result = await commitAttempt(this.dbs, tx.reads, tx.buffer, this.changeLogSize)
        if (result === undefined) {
          tx.failed(
            new SyncError('transaction_conflict', 'The transaction conflicted and was retried.'),
          )
          return { committed: false }
        }
        baseline = result.commit
        tx.settleStamp(result.stamp)
      } else {
        tx.wroteNothing()
      }
    } catch (error) {
      const reason = this.closed === undefined ? error : storeClosed()
      tx.failed(
        reason instanceof SyncError
          ? reason
          : new SyncError('internal', 'The commit failed.', { cause: error }),
      )
      throw reason
    }
    // Closed meanwhile: the commit stands, and close() already settled the watches.
    if (this.closed === undefined) {
      for (const watch of tx.watches) this.notifier.activate(watch, baseline)
      if (wrote) this.notifier.committed(baseline)
    }
    return { committed: true, value }
  }

  private assertOpen(): void {
    if (this.closed !== undefined) throw storeClosed()
  }
}

function storeClosed(): SyncError {
  return new SyncError('store_closed', 'The store was closed: open it again to use it.')
}

function timeoutError(timeoutMs: number): SyncError {
  return new SyncError(
    'transaction_timeout',
    `The transaction ran longer than ${timeoutMs} ms (timeoutMs): make it smaller or raise timeoutMs.`,
  )
}
