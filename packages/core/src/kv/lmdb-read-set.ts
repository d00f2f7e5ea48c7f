import type { LmdbDatabases } from './lmdb-env.js'
import { asBuffer, keyBytes, lmdbRange } from './lmdb-keys.js'
import type { KeyId } from './lmdb-keys.js'

/** A range read: the key span it covered and the database entries it saw there. */
interface RangeRead {
  start: Buffer
  end: Buffer
  /** In ascending key order. */
  entries: Array<{ key: Buffer; value: Buffer }>
}

/**
 * What one transaction attempt read from its snapshot. The commit re-reads all of it
 * inside the write transaction; any difference means another commit came in between,
 * and the attempt is retried (optimistic concurrency, value-based validation).
 */
export class ReadSet {
  private readonly points = new Map<KeyId, Buffer | undefined>()
  private readonly ranges: RangeRead[] = []

  /** Records that the snapshot held `value` (or nothing) at `id`. */
  addPoint(id: KeyId, value: Buffer | undefined): void {
    if (!this.points.has(id)) this.points.set(id, value)
  }

  /** Records that the snapshot held exactly `entries` (ascending) in `[start, end)`. */
  addRange(
    start: Uint8Array,
    end: Uint8Array,
    entries: Array<{ key: Buffer; value: Buffer }>,
  ): void {
    this.ranges.push({ start: asBuffer(start), end: asBuffer(end), entries })
  }

  /** True when the database (in the current write transaction) still holds what was read. */
  isCurrent(dbs: LmdbDatabases): boolean {
    for (const [id, seen] of this.points) {
      const now = dbs.data.get(keyBytes(id))
      if (!sameBytes(now, seen)) return false
    }
    for (const range of this.ranges) {
      let index = 0
      for (const { key, value } of dbs.data.getRange(lmdbRange(range.start, range.end, false))) {
        const seen = range.entries[index++]
        if (seen === undefined || !seen.key.equals(key) || !seen.value.equals(value)) return false
      }
      if (index !== range.entries.length) return false
    }
    return true
  }
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b)
}
