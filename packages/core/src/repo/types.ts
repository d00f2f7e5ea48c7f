import type { Epoch } from '../epoch.js'
import type { KvStore, KvWatch, TransactOptions } from '../kv/store.js'
import type { Schema } from '../schema.js'
import type { Version } from '../version.js'
import type { CollectionQuery } from './collection-keys.js'

export type { CollectionQuery, IndexValue } from './collection-keys.js'

/** One change of a collection: a member's current value, or `null` when it left. */
export interface CollectionChange<T> {
  id: string
  version: Version
  /** `null`: the id left the collection (deleted, or its index field changed). */
  value: T | null
}

/** What changed in a collection since a version (see {@link TenantRepo.changesSince}). */
export interface CollectionChanges<T> {
  /**
   * `true` when `since` was absent, predates the oldest kept removal, or is from the
   * future: `changes` is then the full member list (no removals), and the caller drops
   * what it had.
   */
  reset: boolean
  /** In version order (oldest first); one entry per id: its latest change after `since`. */
  changes: Array<CollectionChange<T>>
  /** The collection's version: the next `since`. */
  version: Version
}

/** Options for {@link TenantRepo.list}. */
export interface ListOptions extends CollectionQuery {
  /** Return at most this many members. @default all (up to the collection size limit) */
  limit?: number
  /** Start after this id (paging by id). @default the first member */
  after?: string
}

/** Options for {@link TenantRepo.changesSince}. */
export interface ChangesSinceOptions extends CollectionQuery {
  /** The `version` of an earlier answer. @default none: every member (`reset: true`) */
  since?: Version
}

/** A collection's changes and a watch on it, registered in the same transaction. */
export interface WatchedCollection<T> {
  changes: CollectionChanges<T>
  /** Fires on any commit after the read that changes the collection. */
  watch: KvWatch
}

/** A stored record as the API returns it. */
export interface SyncRecord<T> {
  id: string
  /** The versionstamp of the commit that wrote this value. */
  version: Version
  value: T
}

/**
 * A record's state including absence: `value` is `null` when the record does not exist.
 * `version` is then the tombstone's version when it was deleted, or {@link ZERO_VERSION}
 * when it was never written, so a deletion always orders after the value it deleted.
 */
export interface RecordState<T> {
  id: string
  version: Version
  value: T | null
}

/** The result of a write: the version the record now has. */
export interface WriteResult {
  version: Version
}

/** A watch on one record; see {@link KvWatch} for when `changed` resolves. */
export type RecordWatch = KvWatch

/** Record operations inside one transaction. Writes commit together, or not at all. */
export interface RepoTransaction {
  /** The record, or `null` when it does not exist (or was deleted). */
  get<T>(schema: Schema<T>, id: string): Promise<SyncRecord<T> | null>
  /** The record's state, with a version also when it is absent. */
  getState<T>(schema: Schema<T>, id: string): Promise<RecordState<T>>
  /** Creates or replaces the record. */
  put<T>(schema: Schema<T>, id: string, value: T): Promise<void>
  /** Creates the record; `already_exists` when it exists. */
  insert<T>(schema: Schema<T>, id: string, value: T): Promise<void>
  /** Replaces the record; `not_found` when it does not exist. */
  update<T>(schema: Schema<T>, id: string, value: T): Promise<void>
  /** Deletes the record (a tombstone keeps its version). Returns false when it was absent. */
  delete(schema: Schema<unknown>, id: string): Promise<boolean>
  /**
   * Watches the record. Active once this transaction commits: read and watch in one
   * transaction so that no write between the two is missed.
   */
  watch(schema: Schema<unknown>, id: string): RecordWatch
  /** The version this transaction's writes get; resolves after it commits. */
  committedVersion(): Promise<Version>
  /** The store's epoch (see {@link Repo.epoch}), read in this transaction. */
  epoch(): Promise<Epoch>
  /**
   * A collection's members in id order (see {@link TenantRepo.list}). Collection reads
   * in a transaction do not see the collection changes of its own writes (they are made
   * when the body returns).
   */
  list<T>(schema: Schema<T>, options?: ListOptions): Promise<Array<SyncRecord<T>>>
  /** What changed in a collection since a version (see {@link TenantRepo.changesSince}). */
  changesSince<T>(schema: Schema<T>, options?: ChangesSinceOptions): Promise<CollectionChanges<T>>
  /**
   * Watches a collection's head: fires after any commit that changes a member, adds one
   * or removes one. Writing a member of a watched collection in the same transaction is
   * refused, like a watched record.
   */
  watchCollection(schema: Schema<unknown>, query?: CollectionQuery): KvWatch
}

/** A record's state and a watch registered in the same transaction as the read. */
export interface WatchedState<T> {
  state: RecordState<T>
  /** Fires on any commit after the read that changes the record. */
  watch: RecordWatch
}

/** Options for {@link TenantRepo.watch}. */
export interface WatchRecordOptions {
  /** Stops the iteration. */
  signal?: AbortSignal
  /** Skip the first state if its version equals this one. */
  since?: Version
}

/** The records of one tenant. Each method is one transaction. */
export interface TenantRepo {
  readonly name: string
  get<T>(schema: Schema<T>, id: string): Promise<SyncRecord<T> | null>
  getState<T>(schema: Schema<T>, id: string): Promise<RecordState<T>>
  put<T>(schema: Schema<T>, id: string, value: T): Promise<WriteResult>
  insert<T>(schema: Schema<T>, id: string, value: T): Promise<WriteResult>
  update<T>(schema: Schema<T>, id: string, value: T): Promise<WriteResult>
  /** Deletes the record. Resolves `null` when it did not exist (nothing is written). */
  delete(schema: Schema<unknown>, id: string): Promise<WriteResult | null>
  /**
   * Reads the record and registers a watch on it in ONE transaction, so no write between
   * the read and the watch is missed: the one place that rule is written. Re-arm after a
   * fire by calling it again (a fire only means "go and look").
   */
  readAndWatch<T>(schema: Schema<T>, id: string): Promise<WatchedState<T>>
  /**
   * A collection's members, in ascending id order (the UTF-8 bytes of the id). A
   * collection with more members than `maxCollectionSize` is refused with
   * `collection_too_large` (pass `limit` and `after` to page through it).
   */
  list<T>(schema: Schema<T>, options?: ListOptions): Promise<Array<SyncRecord<T>>>
  /**
   * What changed in a collection after `since`: one range read of its version index,
   * bounded by its members plus its kept removals, not by its history.
   */
  changesSince<T>(schema: Schema<T>, options?: ChangesSinceOptions): Promise<CollectionChanges<T>>
  /**
   * Reads a collection's changes and registers a watch on its head in ONE transaction,
   * so that no write between the two is missed (the rule of {@link readAndWatch}).
   */
  readCollectionAndWatch<T>(
    schema: Schema<T>,
    options?: ChangesSinceOptions,
  ): Promise<WatchedCollection<T>>
  /** Runs `body` in one transaction, retried on conflict (so concurrent likes are never lost). */
  transact<R>(body: (tx: RepoTransaction) => Promise<R>, options?: TransactOptions): Promise<R>
  /**
   * The seed's sync loop as an async iterator: yields the current state, then each newer
   * state. Read and watch happen in one transaction; every fire re-reads and re-arms.
   */
  watch<T>(
    schema: Schema<T>,
    id: string,
    options?: WatchRecordOptions,
  ): AsyncIterable<RecordState<T>>
}

/** Options for {@link createRepo}. */
export interface RepoOptions {
  /**
   * The first element of every key tuple, so one FoundationDB cluster can host several
   * applications. @default 'fdb-live'
   */
  root?: string
  /**
   * Reading a collection (list without a limit, changesSince, the gateway) with more
   * members than this fails with `collection_too_large`. @default 10000
   */
  maxCollectionSize?: number
  /**
   * How long "removed at version v" entries are kept. A client whose `since` is older
   * than the newest compacted removal gets the full list again (`reset`). @default 86400000 (a day)
   */
  removalRetentionMs?: number
}

/** The entry point for records in a store. */
export interface Repo {
  readonly store: KvStore
  readonly root: string
  /** The records of one tenant; throws `invalid_tenant` for an invalid name. */
  tenant(name: string): TenantRepo
  /**
   * The store's epoch under this root, created (once, in a "read; if absent write"
   * transaction) by the first caller. Versions only compare within one epoch.
   */
  epoch(): Promise<Epoch>
  /**
   * Replaces the epoch with a new one, after restoring the store from a backup (which
   * brings back older versions and the epoch they belonged to). Clients then drop the
   * versions they hold and take what the gateway sends.
   */
  newEpoch(): Promise<Epoch>
}
