/**
 * A {@link KvTransaction} over one attempt of the binding's `db.doTn` body. `doTn`
 * may run the body several times (conflicts, retryable errors); each attempt gets a
 * fresh wrapper so that the watches of a superseded attempt can be cancelled.
 */
import type { Transaction } from 'foundationdb'
import { SyncError } from '../errors.js'
import { VERSIONSTAMP_BYTES } from '../version.js'
import { fdbFailureToSyncError } from './fdb-errors.js'
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
    this.#tn.set(asBuffer(key), asBuffer(value))
  }

  clear(key: Uint8Array): void {
    this.#tn.clear(asBuffer(key))
  }

  clearRange(start: Uint8Array, end: Uint8Array): void {
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
    const param = Buffer.alloc(value.length + OFFSET_BYTES)
    param.set(value, 0)
    param.writeUInt32LE(offset, value.length)
    this.#tn.setVersionstampedValueRaw(asBuffer(key), param)
  }

  watch(key: Uint8Array): KvWatch {
    const watch = new FdbKvWatch(this.#tn.watch(asBuffer(key)), this.#registry)
    this.#watches.push(watch)
    return watch
  }

  getVersionstamp(): Promise<Uint8Array> {
    // `{ promise }` rather than a bare promise in the binding, so that it cannot be
    // awaited by accident inside the body; it settles after the commit.
    const stamp = this.#tn.getVersionstamp().promise.then(
      (bytes): Uint8Array => bytes,
      (error: unknown) => {
        throw fdbFailureToSyncError(error, { operation: 'getVersionstamp' })
      },
    )
    stamp.catch(() => undefined)
    return stamp
  }

  /** Cancels the watches of this attempt: it was superseded by a retry, or it failed. */
  abandon(): void {
    for (const watch of this.#watches) watch.cancel()
  }
}
