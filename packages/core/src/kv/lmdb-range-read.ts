import type { Transaction } from 'lmdb'
import { SyncError } from '../errors.js'
import type { LmdbDatabases } from './lmdb-env.js'
import { keyBytes, keyId, lmdbRange } from './lmdb-keys.js'
import type { KeyId } from './lmdb-keys.js'
import type { BufferedWrite, WriteBuffer } from './lmdb-write-buffer.js'
import type { KvEntry } from './store.js'

/** A key-value pair as lmdb-js returns it. */
export type DbEntry = { key: Buffer; value: Buffer }

/**
 * The value a read sees for a buffered write. Like FoundationDB (error 1036), a key
 * written with a versionstamp cannot be read back before the commit.
 */
export function bufferedValue(write: BufferedWrite): Buffer | undefined {
  if (write.stampOffset !== undefined) {
    throw new SyncError(
      'invalid_request',
      'A key written with setVersionstampedValue cannot be read in the same transaction (its versionstamp is not known before the commit).',
    )
  }
  return write.value
}

/**
 * Reads `start <= key < end` (at most `limit`, optionally reversed) from the snapshot
 * with the buffer's writes merged in. `seen` is every database entry the merge consumed,
 * in iteration order: exactly the entries between the range's first bound and the last
 * result when the limit stopped it, or the whole range otherwise.
 */
export function mergeRange(
  dbs: LmdbDatabases,
  snapshot: Transaction,
  buffer: WriteBuffer,
  start: Uint8Array,
  end: Uint8Array,
  limit: number,
  reverse: boolean,
): { entries: KvEntry[]; seen: DbEntry[] } {
  const sets = buffer.setsIn(keyId(start), keyId(end))
  if (reverse) sets.reverse()
  const rows = dbs.data.getRange({ ...lmdbRange(start, end, reverse), transaction: snapshot })
  const iterator = rows[Symbol.iterator]() as Iterator<DbEntry>
  const seen: DbEntry[] = []
  const entries: KvEntry[] = []
  let row = iterator.next()
  let index = 0
  try {
    while (entries.length < limit) {
      const set = sets[index]
      const db = row.done === true ? undefined : row.value
      if (db === undefined && set === undefined) break
      const order =
        db === undefined
          ? 1
          : set === undefined
            ? -1
            : compareDirected(keyId(db.key), set[0], reverse)
      if (order <= 0 && db !== undefined) {
        seen.push(db)
        row = iterator.next()
        // A database entry the buffer cleared or overwrote is not a result.
        if (order < 0 && !buffer.shadows(keyId(db.key))) entries.push(db)
      }
      if (order >= 0 && set !== undefined) {
        entries.push({ key: keyBytes(set[0]), value: bufferedValue(set[1]) ?? Buffer.alloc(0) })
        index++
      }
    }
  } finally {
    iterator.return?.()
  }
  return { entries, seen }
}

function compareDirected(a: KeyId, b: KeyId, reverse: boolean): number {
  const order = a < b ? -1 : a > b ? 1 : 0
  return reverse ? -order : order
}
