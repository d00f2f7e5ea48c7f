/**
 * The transactional key-value interface that every store implements, modelled on
 * FoundationDB: ordered byte keys, serializable transactions retried on conflict,
 * versionstamps, and watches that become active when their transaction commits.
 *
 * Interfaces only; implementations live beside this file (`lmdb-store.ts`,
 * `fdb-store.ts`), and `store-contract.ts` is the behaviour suite they all pass.
 */

/** Which implementation a store is. */
export type StoreKind = 'embedded' | 'fdb'

/** Bounds and direction for {@link KvTransaction.getRange}. */
export interface RangeOptions {
  /** Return at most this many pairs. @default unlimited */
  limit?: number
  /** Iterate from the end of the range backwards. @default false */
  reverse?: boolean
}

/** One key-value pair. */
export interface KvEntry {
  key: Uint8Array
  value: Uint8Array
}

/**
 * A watch on one key. It compares against the value the transaction that created it
 * saw, becomes active when that transaction commits, and fires once.
 *
 * A fire means "go and look": it may fire without a change, and several changes may
 * coalesce into one fire. After it fires it is spent; to keep watching, re-read and
 * register a new one in one transaction.
 */
export interface KvWatch {
  /**
   * Resolves `true` when the key may have changed, `false` when the watch was cancelled
   * (or its transaction never committed). Rejects with a `SyncError` on other errors
   * (e.g. `too_many_watches`): re-read, re-arm, back off.
   */
  readonly changed: Promise<boolean>
  /** Stops the watch; `changed` resolves `false`. Idempotent. */
  cancel(): void
}

/** A serializable transaction. Writes are buffered and visible to its own reads. */
export interface KvTransaction {
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  /** Pairs with `start <= key < end`, in key order (or reverse). */
  getRange(start: Uint8Array, end: Uint8Array, options?: RangeOptions): Promise<KvEntry[]>
  set(key: Uint8Array, value: Uint8Array): void
  clear(key: Uint8Array): void
  /** Clears every key with `start <= key < end`. */
  clearRange(start: Uint8Array, end: Uint8Array): void
  /**
   * Sets `key` to `value` with the 10-byte versionstamp of this transaction's commit
   * written over `value[offset .. offset + 10)` (FoundationDB's SetVersionstampedValue).
   */
  setVersionstampedValue(key: Uint8Array, value: Uint8Array, offset: number): void
  /**
   * Sets the key `key` with the 10-byte versionstamp of this transaction's commit written
   * over `key[offset .. offset + 10)` to `value` (FoundationDB's SetVersionstampedKey).
   * The final key is unknown before the commit, so a range read in this transaction that
   * could contain it is refused (FoundationDB error 1036).
   */
  setVersionstampedKey(key: Uint8Array, value: Uint8Array, offset: number): void
  /**
   * Registers a watch on `key`. It becomes active when this transaction commits; do not
   * await `changed` inside the transaction body (it cannot fire before the commit).
   */
  watch(key: Uint8Array): KvWatch
  /**
   * Resolves to the 10-byte versionstamp of this transaction's commit, once it commits.
   * Rejects if the transaction wrote nothing or failed. Return it from the body wrapped
   * (`return { stamp: tx.getVersionstamp() }`): returning the bare promise would make the
   * body wait for a commit that waits for the body.
   */
  getVersionstamp(): Promise<Uint8Array>
}

/** Options for {@link KvStore.transact}. */
export interface TransactOptions {
  /** Give up after this many conflict retries. @default 100 */
  maxRetries?: number
  /** Give up when the body has been running (in total) for this long. @default 5000 */
  timeoutMs?: number
}

/** What a store may report about its own health (the embedded store does). */
export interface StoreStatus {
  /**
   * How watches learn of commits by other processes: `notify` at once, `poll` only from
   * the safety poll (degraded: the notification file cannot be watched).
   */
  commitWakeups: 'notify' | 'poll'
}

/** A transactional, ordered key-value store. */
export interface KvStore {
  readonly kind: StoreKind
  /** Health details for metrics; stores without any leave it out. */
  status?(): StoreStatus
  /**
   * Runs `body` in a serializable transaction and commits it. On a conflict the body is
   * run again (so it must have no side effects outside the transaction).
   */
  transact<T>(body: (tx: KvTransaction) => Promise<T>, options?: TransactOptions): Promise<T>
  /** Cheap liveness check for health endpoints: resolves when the store answers. */
  ping(): Promise<void>
  /** Cancels outstanding watches and releases the store. Idempotent. */
  close(): Promise<void>
}
