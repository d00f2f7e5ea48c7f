import { SyncError } from '../errors.js'
import type { KvStore, TransactOptions } from '../kv/store.js'
import { assertTenant } from '../names.js'
import type { Schema } from '../schema.js'
import { TenantTransaction } from './repo-transaction.js'
import { readOrCreateEpoch, writeNewEpoch } from './store-epoch.js'
import type { CollectionSettings } from './collection-writer.js'
import type {
  ChangesSinceOptions,
  CollectionChanges,
  ListOptions,
  WatchedCollection,
  RecordState,
  Repo,
  RepoOptions,
  RepoTransaction,
  SyncRecord,
  TenantRepo,
  WatchRecordOptions,
  WatchedState,
  WriteResult,
} from './types.js'
import { watchRecord } from './watch-record.js'

/**
 * Creates the Repo API over a store.
 *
 * @example
 * const repo = createRepo(await openStore())
 * const t = repo.tenant('experiment-with-watches-in-liveview')
 * await t.put(Quote, 'my-favorite-quote', doc)
 */
export function createRepo(store: KvStore, options: RepoOptions = {}): Repo {
  const root = options.root ?? 'fdb-live'
  if (typeof root !== 'string' || root.length === 0) {
    throw new SyncError(
      'invalid_config',
      `Invalid repo root ${JSON.stringify(root)}: use a non-empty string.`,
    )
  }
  const settings: CollectionSettings = {
    maxMembers: positiveInteger('maxCollectionSize', options.maxCollectionSize ?? 10_000),
    removalRetentionMs: nonNegative('removalRetentionMs', options.removalRetentionMs ?? 86_400_000),
    now: Date.now,
  }
  return {
    store,
    root,
    tenant: (name) => new Tenant(store, root, name, settings),
    epoch: () => store.transact((tx) => readOrCreateEpoch(tx, root)),
    newEpoch: () => store.transact((tx) => Promise.resolve(writeNewEpoch(tx, root))),
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new SyncError('invalid_config', `Invalid ${name} ${value}: use a positive integer.`)
  }
  return value
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new SyncError(
      'invalid_config',
      `Invalid ${name} ${value}: use a number of ms, 0 or more.`,
    )
  }
  return value
}

class Tenant implements TenantRepo {
  readonly name: string

  constructor(
    private readonly store: KvStore,
    private readonly root: string,
    name: string,
    private readonly settings: CollectionSettings,
  ) {
    assertTenant(name)
    this.name = name
  }

  transact<R>(body: (tx: RepoTransaction) => Promise<R>, options?: TransactOptions): Promise<R> {
    return this.store.transact(async (kv) => {
      const tx = new TenantTransaction(kv, this.root, this.name, this.settings)
      const result = await body(tx)
      // Collections are kept in the same transaction as the records they hold.
      await tx.flush()
      return result
    }, options)
  }

  list<T>(schema: Schema<T>, options?: ListOptions): Promise<Array<SyncRecord<T>>> {
    return this.transact((tx) => tx.list(schema, options))
  }

  changesSince<T>(schema: Schema<T>, options?: ChangesSinceOptions): Promise<CollectionChanges<T>> {
    return this.transact((tx) => tx.changesSince(schema, options))
  }

  readCollectionAndWatch<T>(
    schema: Schema<T>,
    options: ChangesSinceOptions = {},
  ): Promise<WatchedCollection<T>> {
    return this.transact(async (tx) => ({
      changes: await tx.changesSince(schema, options),
      watch: tx.watchCollection(
        schema,
        options.where === undefined ? {} : { where: options.where },
      ),
    }))
  }

  get<T>(schema: Schema<T>, id: string): Promise<SyncRecord<T> | null> {
    return this.transact((tx) => tx.get(schema, id))
  }

  getState<T>(schema: Schema<T>, id: string): Promise<RecordState<T>> {
    return this.transact((tx) => tx.getState(schema, id))
  }

  readAndWatch<T>(schema: Schema<T>, id: string): Promise<WatchedState<T>> {
    return this.transact(async (tx) => ({
      state: await tx.getState(schema, id),
      watch: tx.watch(schema, id),
    }))
  }

  put<T>(schema: Schema<T>, id: string, value: T): Promise<WriteResult> {
    return this.#write((tx) => tx.put(schema, id, value))
  }

  insert<T>(schema: Schema<T>, id: string, value: T): Promise<WriteResult> {
    return this.#write((tx) => tx.insert(schema, id, value))
  }

  update<T>(schema: Schema<T>, id: string, value: T): Promise<WriteResult> {
    return this.#write((tx) => tx.update(schema, id, value))
  }

  async delete(schema: Schema<unknown>, id: string): Promise<WriteResult | null> {
    const { deleted, version } = await this.transact(async (tx) => {
      const deleted = await tx.delete(schema, id)
      return { deleted, version: deleted ? tx.committedVersion() : undefined }
    })
    return deleted && version ? { version: await version } : null
  }

  watch<T>(
    schema: Schema<T>,
    id: string,
    options?: WatchRecordOptions,
  ): AsyncIterable<RecordState<T>> {
    return watchRecord(this, schema, id, options)
  }

  async #write(body: (tx: RepoTransaction) => Promise<void>): Promise<WriteResult> {
    // The versionstamp promise is taken inside the body and awaited after the commit.
    const { version } = await this.transact(async (tx) => {
      await body(tx)
      return { version: tx.committedVersion() }
    })
    return { version: await version }
  }
}
