import type { KeyId } from './lmdb-keys.js'
import type { LmdbDatabases } from './lmdb-env.js'

/** What one commit changed: keys set or cleared, and ranges cleared. */
export interface Change {
  keys: KeyId[]
  ranges: Array<readonly [KeyId, KeyId]>
}

/** A change-log entry: the commit counter and what that commit changed. */
export interface LoggedChange {
  commit: number
  change: Change
}

/** The 8-byte big-endian form of a commit counter (also the change log's key). */
export function counterBytes(commit: number): Buffer {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64BE(BigInt(commit))
  return bytes
}

/** Reads an 8-byte big-endian commit counter. */
export function counterFromBytes(bytes: Uint8Array): number {
  return Number(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readBigUInt64BE(0))
}

function encodeChange(change: Change): Buffer {
  const parts = [...change.keys, ...change.ranges.flat()]
  let size = 8
  for (const part of parts) size += 4 + part.length
  const out = Buffer.alloc(size)
  out.writeUInt32BE(change.keys.length, 0)
  out.writeUInt32BE(change.ranges.length, 4)
  let at = 8
  for (const part of parts) {
    out.writeUInt32BE(part.length, at)
    at += 4 + out.write(part, at + 4, 'latin1')
  }
  return out
}

function decodeChange(bytes: Buffer): Change {
  let at = 8
  const next = (): KeyId => {
    const length = bytes.readUInt32BE(at)
    const id = bytes.toString('latin1', at + 4, at + 4 + length)
    at += 4 + length
    return id
  }
  const keys = Array.from({ length: bytes.readUInt32BE(0) }, next)
  const ranges = Array.from({ length: bytes.readUInt32BE(4) }, () => [next(), next()] as const)
  return { keys, ranges }
}

/**
 * Appends the entry of `commit` and drops entries older than `keep` commits, so the log
 * stays bounded. Call inside the write transaction of `commit`.
 */
export function appendChange(
  dbs: LmdbDatabases,
  commit: number,
  change: Change,
  keep: number,
): void {
  dbs.changes.putSync(counterBytes(commit), encodeChange(change))
  const oldestKept = commit - keep + 1
  if (oldestKept <= 1) return
  const stale = [...dbs.changes.getKeys({ end: counterBytes(oldestKept) })]
  for (const key of stale) dbs.changes.removeSync(key)
}

/**
 * The logged changes of commits `after < commit <= upTo`, oldest first. When the log was
 * trimmed past `after`, the first entry's commit is greater than `after + 1`.
 */
export function readChanges(dbs: LmdbDatabases, after: number, upTo: number): LoggedChange[] {
  if (upTo <= after) return []
  const range = dbs.changes.getRange({
    start: counterBytes(after + 1),
    end: counterBytes(upTo + 1),
  })
  const out: LoggedChange[] = []
  for (const { key, value } of range) {
    out.push({ commit: counterFromBytes(key), change: decodeChange(value) })
  }
  return out
}
