import type { Version } from '@fdb-live/core'

/** True when `next` is older than `current`. Versions compare as plain strings. */
export function isOlder(next: Version, current: Version | undefined): boolean {
  return current !== undefined && next < current
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
