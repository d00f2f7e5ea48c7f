import { VERSIONSTAMP_BYTES } from '../version.js'
import { appendChange, counterBytes } from './lmdb-change-log.js'
import { readCounter, writeCounter } from './lmdb-env.js'
import type { LmdbDatabases } from './lmdb-env.js'
import { keyBytes, keyId, lmdbRange } from './lmdb-keys.js'
import type { ReadSet } from './lmdb-read-set.js'
import type { WriteBuffer } from './lmdb-write-buffer.js'

/** The outcome of {@link commitAttempt}: the commit counter, or `undefined` on a conflict. */
export type CommitResult = { commit: number; stamp: Buffer } | undefined

/** The 10-byte versionstamp of commit `commit`: the counter (8 bytes BE) + 0x0000. */
export function versionstampOf(commit: number): Buffer {
  const stamp = Buffer.alloc(VERSIONSTAMP_BYTES)
  counterBytes(commit).copy(stamp, 0)
  return stamp
}

/**
 * Commits one attempt in a single LMDB write transaction. LMDB has one writer at a time
 * across all processes, so validating the reads and applying the writes here is atomic:
 * if anything read changed since the snapshot, nothing is written (a conflict).
 *
 * lmdb-js's asynchronous `transaction()` runs the callback in its write thread's batch,
 * so concurrent commits share one disk sync; the promise resolves once it is durable.
 */
export async function commitAttempt(
  dbs: LmdbDatabases,
  reads: ReadSet,
  buffer: WriteBuffer,
  changeLogSize: number,
): Promise<CommitResult> {
  return dbs.root.transaction((): CommitResult => {
    if (!reads.isCurrent(dbs)) return undefined
    const commit = readCounter(dbs) + 1
    const stamp = versionstampOf(commit)
    writeCounter(dbs, commit)
    for (const [start, end] of buffer.clearedRanges) {
      const keys = [...dbs.data.getKeys(lmdbRange(keyBytes(start), keyBytes(end), false))]
      for (const key of keys) dbs.data.removeSync(key)
    }
    for (const [id, write] of buffer.writes) {
      if (write.value === undefined) {
        dbs.data.removeSync(keyBytes(id))
        continue
      }
      if (write.stampOffset !== undefined) stamp.copy(write.value, write.stampOffset)
      dbs.data.putSync(keyBytes(id), write.value)
    }
    const stampedIds: string[] = []
    for (const { key, value, offset } of buffer.stampedKeys) {
      const final = Buffer.from(key)
      stamp.copy(final, offset)
      dbs.data.putSync(final, value)
      stampedIds.push(keyId(final))
    }
    appendChange(
      dbs,
      commit,
      { keys: [...buffer.writes.keys(), ...stampedIds], ranges: buffer.clearedRanges },
      changeLogSize,
    )
    return { commit, stamp }
  })
}
