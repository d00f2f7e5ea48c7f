import type { Transaction } from 'lmdb'
import { SyncError } from '../errors.js'
import { VERSIONSTAMP_BYTES } from '../version.js'
import type { LmdbDatabases } from './lmdb-env.js'
import { asBuffer, assertStorableKey, assertValue, keyId } from './lmdb-keys.js'
import type { KeyId } from './lmdb-keys.js'
import { bufferedValue, mergeRange } from './lmdb-range-read.js'
import type { DbEntry } from './lmdb-range-read.js'
import { ReadSet } from './lmdb-read-set.js'
import type { LmdbWatch, WatchRegistry } from './lmdb-watch-registry.js'
import { WriteBuffer } from './lmdb-write-buffer.js'
import type { KvEntry, KvTransaction, KvWatch, RangeOptions } from './store.js'

/**
 * One attempt of a transaction of the embedded store: reads from an LMDB read snapshot
 * with its own writes overlaid, records what it read (for the commit's validation) and
 * buffers writes and watches until the commit.
 */
export class LmdbTransaction implements KvTransaction {
  readonly reads = new ReadSet()
  readonly buffer = new WriteBuffer()
  readonly watches: LmdbWatch[] = []
  private open = true
  private stamp:
    { promise: Promise<Uint8Array>; settle: (stamp: Uint8Array | SyncError) => void } | undefined

  constructor(
    private readonly dbs: LmdbDatabases,
    private readonly snapshot: Transaction,
    private readonly registry: WatchRegistry,
  ) {}

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.assertOpen()
    assertStorableKey(key)
    const id = keyId(key)
    const buffered = this.buffer.writes.get(id)
    if (buffered !== undefined) return Promise.resolve(bufferedValue(buffered))
    if (this.buffer.isRangeCleared(id)) return Promise.resolve(undefined)
    return Promise.resolve(this.readPoint(id, asBuffer(key)))
  }

  getRange(start: Uint8Array, end: Uint8Array, options: RangeOptions = {}): Promise<KvEntry[]> {
    this.assertOpen()
    const limit = options.limit ?? Number.POSITIVE_INFINITY
    const reverse = options.reverse === true
    if (limit <= 0 || Buffer.compare(start, end) >= 0) return Promise.resolve([])
    if (this.buffer.mayHoldStampedKey(start, end)) {
      throw new SyncError(
        'invalid_request',
        'A range that may hold a key written with setVersionstampedKey cannot be read in the same transaction (the key is not known before the commit).',
      )
    }
    const { entries, seen } = mergeRange(
      this.dbs,
      this.snapshot,
      this.buffer,
      start,
      end,
      limit,
      reverse,
    )
    this.recordRange(
      start,
      end,
      entries.length >= limit ? entries.at(-1)?.key : undefined,
      reverse,
      seen,
    )
    return Promise.resolve(entries)
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.assertOpen()
    assertStorableKey(key)
    assertValue(value)
    this.buffer.set(keyId(key), Buffer.from(value))
  }

  clear(key: Uint8Array): void {
    this.assertOpen()
    assertStorableKey(key)
    this.buffer.clear(keyId(key))
  }

  clearRange(start: Uint8Array, end: Uint8Array): void {
    this.assertOpen()
    this.buffer.clearRange(keyId(start), keyId(end))
  }

  setVersionstampedValue(key: Uint8Array, value: Uint8Array, offset: number): void {
    this.assertOpen()
    assertStorableKey(key)
    assertValue(value)
    if (!Number.isInteger(offset) || offset < 0 || offset + VERSIONSTAMP_BYTES > value.length) {
      throw new SyncError(
        'invalid_request',
        `setVersionstampedValue: offset ${offset} leaves no room for the 10-byte versionstamp in a value of ${value.length} bytes.`,
      )
    }
    this.buffer.set(keyId(key), Buffer.from(value), offset)
  }

  setVersionstampedKey(key: Uint8Array, value: Uint8Array, offset: number): void {
    this.assertOpen()
    assertStorableKey(key)
    assertValue(value)
    if (!Number.isInteger(offset) || offset < 0 || offset + VERSIONSTAMP_BYTES > key.length) {
      throw new SyncError(
        'invalid_request',
        `setVersionstampedKey: offset ${offset} leaves no room for the 10-byte versionstamp in a key of ${key.length} bytes.`,
      )
    }
    this.buffer.stampedKeys.push({ key: Buffer.from(key), value: Buffer.from(value), offset })
  }

  watch(key: Uint8Array): KvWatch {
    this.assertOpen()
    assertStorableKey(key)
    const id = keyId(key)
    const watch = this.registry.create(id)
    if (watch.state === 'pending') this.watches.push(watch)
    // As in FoundationDB, a watch adds a read conflict on its key.
    this.readPoint(id, asBuffer(key))
    return watch
  }

  getVersionstamp(): Promise<Uint8Array> {
    if (this.stamp === undefined) {
      let settle!: (stamp: Uint8Array | SyncError) => void
      const promise = new Promise<Uint8Array>((resolve, reject) => {
        settle = (stamp) => (stamp instanceof SyncError ? reject(stamp) : resolve(stamp))
      })
      promise.catch(() => undefined)
      this.stamp = { promise, settle }
    }
    return this.stamp.promise
  }

  /** Ends the body: later calls on this transaction throw. */
  seal(): void {
    this.open = false
  }

  /** Settles {@link getVersionstamp} once the outcome is known (watches are the store's job). */
  settleStamp(result: Uint8Array | SyncError): void {
    this.open = false
    this.stamp?.settle(result)
  }

  /**
   * The attempt committed, having written nothing: a versionstamp, if one was asked for,
   * gets an error. Built only then: read-only transactions (every watch arm, every record
   * read) are the hot path, and an error's stack trace is not free.
   */
  wroteNothing(): void {
    this.open = false
    this.stamp?.settle(
      new SyncError('invalid_request', 'The transaction wrote nothing, so it has no versionstamp.'),
    )
  }

  /** The attempt did not commit (or had nothing to commit): settles what waits on it. */
  failed(reason: SyncError): void {
    this.open = false
    for (const watch of this.watches) this.registry.finish(watch, false)
    this.stamp?.settle(reason)
  }

  private readPoint(id: KeyId, key: Buffer): Buffer | undefined {
    const value = this.dbs.data.get(key, { transaction: this.snapshot })
    this.reads.addPoint(id, value)
    return value
  }

  private recordRange(
    start: Uint8Array,
    end: Uint8Array,
    last: Uint8Array | undefined,
    reverse: boolean,
    seen: DbEntry[],
  ): void {
    // A limited read only depends on the keys up to (or, reversed, down to) its last result.
    const from = last !== undefined && reverse ? last : start
    const to = last !== undefined && !reverse ? Buffer.concat([last, Buffer.of(0)]) : end
    this.reads.addRange(from, to, reverse ? seen.reverse() : seen)
  }

  private assertOpen(): void {
    if (!this.open) {
      throw new SyncError(
        'invalid_request',
        'This transaction has finished: use the transaction only inside its body.',
      )
    }
  }
}
