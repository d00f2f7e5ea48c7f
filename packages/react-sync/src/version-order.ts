import type { Version } from '@fdb-live/core'

/** True when `next` is older than `current`. Versions compare as plain strings. */
export function isOlder(next: Version, current: Version | undefined): boolean {
  return current !== undefined && next < current
}

/** A version with the store epoch it belongs to (docs/protocol.md), when known. */
export interface EpochVersion {
  readonly version: Version
  readonly epoch?: string | undefined
}

/**
 * True when `next` is older than `current`. Versions of different store epochs do not
 * compare: the store was reset or restored, and what it sends now is the truth, even with
 * a version that compares lower.
 */
export function isOlderEntry(next: EpochVersion, current: EpochVersion | undefined): boolean {
  if (current === undefined) return false
  if (next.epoch !== undefined && current.epoch !== undefined && next.epoch !== current.epoch) {
    return false
  }
  return next.version < current.version
}

/** True when `entry` is known and not older than `than`, in the same store epoch. */
export function isAtLeast(entry: EpochVersion | undefined, than: EpochVersion): boolean {
  if (entry === undefined) return false
  if (entry.epoch !== undefined && than.epoch !== undefined && entry.epoch !== than.epoch) {
    return false
  }
  return entry.version >= than.version
}

/** The newer of two versions, either of which may be unknown. */
export function newerVersion(a: Version | undefined, b: Version | undefined): Version | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return a > b ? a : b
}

/** The older of two versions; unknown (`undefined`) is older than anything. */
export function olderVersion(a: Version | undefined, b: Version | undefined): Version | undefined {
  if (a === undefined || b === undefined) return undefined
  return a < b ? a : b
}
