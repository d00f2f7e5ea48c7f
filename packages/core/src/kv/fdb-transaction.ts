/**
 * A {@link KvTransaction} over one attempt of the binding's `db.doTn` body. `doTn`
 * may run the body several times (conflicts, retryable errors); each attempt gets a
 * fresh wrapper so that the watches of a superseded attempt can be cancelled.
 */
import type { Transaction } from 'foundationdb'
import { SyncError } from '../errors.js'
import { VERSIONSTAMP_BYTES } from '../version.js'
import { FdbKvWatch, type WatchRegistry } from './fdb-watch.js'
import type { KvEntry, KvTransaction, KvWatch, RangeOptions } from './store.js'

/** Bytes of the little-endian offset FoundationDB expects after a versionstamped value (API ≥ 520). */
const OFFSET_BYTES = 4

/** The binding wants Node Buffers; wrap a Uint8Array's memory without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** One attempt of a transaction body. */
export class FdbKvTransaction implements KvTransaction {
  readonly #tn: Transaction
  readonly #registry: WatchRegistry
  readonly #watches: FdbKvWatch[] = []
  #stamp:
    { promise: Promise<Uint8Array>; settle: (stamp: Uint8Array | SyncError) => void } | undefined
  /** True once the body wrote anything: only then is there a commit to stamp (and mark). */
  wrote = false

  constructor(tn: Transaction, registry: WatchRegistry) {
    this.#tn = tn
    this.#registry = registry
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#tn.get(asBuffer(key))
  }

  async getRange(
    start: Uint8Array,
    end: Uint8Array,
    options: RangeOptions = {},
  ): Promise<KvEntry[]> {
    const { limit, reverse = false } = options
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new SyncError(
        'invalid_request',
        `getRange limit must be a non-negative integer, got ${limit}.`,
      )
    }
    // The binding reads limit 0 as "no limit"; an empty range is empty (FoundationDB
    // would report inverted_range for start > end).
    if (limit === 0 || Buffer.compare(start, end) >= 0) return []
    const pairs = await this.#tn.getRangeAll(asBuffer(start), asBuffer(end), {
      reverse,
      ...(limit === undefined ? {} : { limit }),
    })
    return pairs.map(([key, value]) => ({ key, value }))
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.wrote = true
    this.#tn.set(asBuffer(key), asBuffer(value))
  }

  clear(key: Uint8Array): void {
    this.wrote = true
    this.#tn.clear(asBuffer(key))
  }

  clearRange(start: Uint8Array, end: Uint8Array): void {
    this.wrote = true
    if (Buffer.compare(start, end) >= 0) return
    this.#tn.clearRange(asBuffer(start), asBuffer(end))
  }

  setVersionstampedValue(key: Uint8Array, value: Uint8Array, offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + VERSIONSTAMP_BYTES > value.length) {
      throw new SyncError(
        'invalid_request',
        `setVersionstampedValue needs ${VERSIONSTAMP_BYTES} bytes at offset ${offset} of a ` +
          `${value.length}-byte value.`,
      )
    }
    // SetVersionstampedValue's parameter is the value followed by the stamp's offset as a
    // 4-byte little-endian integer; the binding's Raw variant passes it through unchanged.
    this.wrote = true
    const param = Buffer.alloc(value.length + OFFSET_BYTES)
    param.set(value, 0)
    param.writeUInt32LE(offset, value.length)
    this.#tn.setVersionstampedValueRaw(asBuffer(key), param)
  }

  setVersionstampedKey(key: Uint8Array, value: Uint8Array, offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + VERSIONSTAMP_BYTES > key.length) {
      throw new SyncError(
        'invalid_request',
        `setVersionstampedKey needs ${VERSIONSTAMP_BYTES} bytes at offset ${offset} of a ` +
          `${key.length}-byte key.`,
      )
    }
    // As for values: the key followed by the stamp's offset, 4 bytes little-endian.
    this.wrote = true
    const param = Buffer.alloc(key.length + OFFSET_BYTES)
    param.set(key, 0)
    param.writeUInt32LE(offset, key.length)
    this.#tn.setVersionstampedKeyRaw(param, asBuffer(value))
  }

  watch(key: Uint8Array): KvWatch {
    const watch = new FdbKvWatch(this.#tn.watch(asBuffer(key)), this.#registry)
    this.#watches.push(watch)
    return watch
  }

  getVersionstamp(): Promise<Uint8Array> {
    // Settled by the store once it knows how this attempt ended, which after a
    // commit_unknown_result can be a later attempt's finding (fdb-commit-marker.ts).
    if (this.#stamp === undefined) {
      let settle!: (stamp: Uint8Array | SyncError) => void
      const promise = new Promise<Uint8Array>((resolve, reject) => {
        settle = (stamp) => (stamp instanceof SyncError ? reject(stamp) : resolve(stamp))
      })
      promise.catch(() => undefined)
      this.#stamp = { promise, settle }
    }
    return this.#stamp.promise
  }

  /** This attempt committed, with that versionstamp (undefined: it wrote nothing). */
  committed(stamp: Uint8Array | undefined): void {
    this.#stamp?.settle(
      stamp ??
        new SyncError(
          'invalid_request',
          'This transaction wrote nothing, so it has no versionstamp (FoundationDB error 2021).',
        ),
    )
  }

  /** Cancels the watches of this attempt: it was superseded by a retry, or it failed. */
  abandon(reason?: SyncError): void {
    for (const watch of this.#watches) watch.cancel()
    this.#stamp?.settle(
      reason ??
        new SyncError('transaction_conflict', 'This attempt was retried; it did not commit.'),
    )
  }
}
