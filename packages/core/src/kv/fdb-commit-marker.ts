/**
 * Commit markers: how the FoundationDB store learns whether a commit whose outcome was
 * reported unknown actually landed (docs/fdb.md, "When a commit's outcome is unknown").
 *
 * Every transaction that writes also writes one marker key, whose value is the commit's
 * versionstamp (SetVersionstampedValue). After `commit_unknown_result` (1021), or a
 * timeout during the commit (1031), the store reads the marker:
 * - present: the commit landed; the store reports that attempt's result and versionstamp
 *   instead of running the body again (an insert does not then fail with already_exists,
 *   a delete does not return null);
 * - absent: it did not land (FoundationDB settles an unknown commit before reporting it),
 *   so retrying the body is safe.
 *
 * Key: 0xFE, "fdb-live/commit-marker/", 8-byte big-endian creation time (ms), 16 random
 * bytes. The 0xFE byte keeps markers apart from the Repo's tuple keys. Markers older than
 * {@link MARKER_RETENTION_MS} are cleared now and then by a range clear.
 */
import { randomBytes } from 'node:crypto'
import type { Transaction } from 'foundationdb'
import { VERSIONSTAMP_BYTES } from '../version.js'

const MARKER_PREFIX = Buffer.concat([Buffer.of(0xfe), Buffer.from('fdb-live/commit-marker/')])
/** How long a marker is kept: far longer than a transaction may live (5 s). */
export const MARKER_RETENTION_MS = 60_000

/** A new marker key for one transaction (all its attempts share it). */
export function newMarkerKey(now = Date.now()): Buffer {
  const time = Buffer.alloc(8)
  time.writeBigUInt64BE(BigInt(now))
  return Buffer.concat([MARKER_PREFIX, time, randomBytes(16)])
}

/** Writes the marker in this attempt: its value becomes the commit's versionstamp. */
export function writeMarker(tn: Transaction, key: Buffer): void {
  const param = Buffer.alloc(VERSIONSTAMP_BYTES + 4) // the stamp at offset 0, then the offset
  tn.setVersionstampedValueRaw(key, param)
}

/** The versionstamp of the attempt that wrote the marker, or undefined if none landed. */
export async function readMarker(tn: Transaction, key: Buffer): Promise<Buffer | undefined> {
  const value = await tn.get(key)
  return value === undefined ? undefined : Buffer.from(value).subarray(0, VERSIONSTAMP_BYTES)
}

/** Clears the markers created before `now - MARKER_RETENTION_MS`. */
export function clearOldMarkers(tn: Transaction, now = Date.now()): void {
  tn.clearRange(
    MARKER_PREFIX,
    newMarkerKey(now - MARKER_RETENTION_MS).subarray(0, MARKER_PREFIX.length + 8),
  )
}
