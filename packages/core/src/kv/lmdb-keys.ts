import type { RangeOptions as LmdbRangeOptions } from 'lmdb'
import { SyncError } from '../errors.js'

/**
 * Longest key the embedded store accepts: LMDB's limit with lmdb-js's 4 KiB pages.
 * FoundationDB allows 10,000 bytes; keys built by the repo (root, tenant, schema, id)
 * stay well below this.
 */
export const LMDB_MAX_KEY_BYTES = 1978

/**
 * Keys are kept in maps as "binary strings" (latin1: one char per byte). String order
 * then equals byte order, which lets the write buffer and the watch registry compare
 * keys without converting back.
 */
export type KeyId = string

/** Bytes → {@link KeyId}. */
export function keyId(bytes: Uint8Array): KeyId {
  return asBuffer(bytes).toString('latin1')
}

/** {@link KeyId} → bytes. */
export function keyBytes(id: KeyId): Buffer {
  return Buffer.from(id, 'latin1')
}

/** Views a Uint8Array as a Buffer without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Throws `invalid_request` unless `key` can be stored. */
export function assertStorableKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) {
    throw new SyncError('invalid_request', 'A key must be a Uint8Array.')
  }
  if (key.length === 0) {
    throw new SyncError(
      'invalid_request',
      'The embedded store cannot store an empty key: use at least one byte.',
    )
  }
  if (key.length > LMDB_MAX_KEY_BYTES) {
    throw new SyncError(
      'invalid_request',
      `A key of ${key.length} bytes is too long for the embedded store (at most ${LMDB_MAX_KEY_BYTES}): use a shorter key.`,
    )
  }
}

/** Throws `invalid_value` unless `value` is a Uint8Array. */
export function assertValue(value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) {
    throw new SyncError('invalid_value', 'A value must be a Uint8Array.')
  }
}

/**
 * lmdb-js options for the keys `start <= key < end`, in either direction. Bounds longer
 * than any storable key are cut to {@link LMDB_MAX_KEY_BYTES} (LMDB rejects them), which
 * selects the same keys once the cut bound's inclusiveness is flipped.
 */
export function lmdbRange(start: Uint8Array, end: Uint8Array, reverse: boolean): LmdbRangeOptions {
  const lo = asBuffer(start)
  const hi = asBuffer(end)
  const loCut = lo.length > LMDB_MAX_KEY_BYTES
  const hiCut = hi.length > LMDB_MAX_KEY_BYTES
  const low = loCut ? lo.subarray(0, LMDB_MAX_KEY_BYTES) : lo
  const high = hiCut ? hi.subarray(0, LMDB_MAX_KEY_BYTES) : hi
  // lmdb-js rejects an empty bound; an empty start means "from the first key".
  const hasLow = low.length > 0
  if (!reverse) {
    return {
      ...(hasLow ? { start: low } : {}),
      end: high,
      exclusiveStart: loCut,
      inclusiveEnd: hiCut,
    }
  }
  // Reversed, lmdb-js walks from `start` (the high bound) down to `end` (the low bound).
  return {
    start: high,
    ...(hasLow ? { end: low } : {}),
    reverse: true,
    exclusiveStart: !hiCut,
    inclusiveEnd: !loCut,
  }
}
