import { SyncError, quoteInput } from './errors.js'

/** Bytes in a versionstamp: 8-byte big-endian commit version + 2-byte batch order. */
export const VERSIONSTAMP_BYTES = 10

/**
 * A record version on the wire and in the API: the versionstamp of the commit that wrote
 * it, as 20 lowercase hex characters. Versions compare as plain strings.
 */
export type Version = string

const VERSION_HEX = /^[0-9a-f]{20}$/

/** Formats a 10-byte versionstamp as a {@link Version}. */
export function versionFromBytes(stamp: Uint8Array): Version {
  if (stamp.length !== VERSIONSTAMP_BYTES) {
    throw new SyncError('internal', `A versionstamp has 10 bytes, got ${stamp.length}.`)
  }
  let hex = ''
  for (const byte of stamp) hex += byte.toString(16).padStart(2, '0')
  return hex
}

/** Parses a {@link Version} back into its 10 bytes. */
export function versionToBytes(version: Version): Uint8Array {
  assertVersion(version)
  const bytes = new Uint8Array(VERSIONSTAMP_BYTES)
  for (let i = 0; i < VERSIONSTAMP_BYTES; i++)
    bytes[i] = parseInt(version.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

/** True when `value` is a well-formed {@link Version}. */
export function isVersion(value: unknown): value is Version {
  return typeof value === 'string' && VERSION_HEX.test(value)
}

/** Throws `invalid_version` unless `value` is a well-formed {@link Version}. */
export function assertVersion(value: unknown): asserts value is Version {
  if (!isVersion(value)) {
    throw new SyncError(
      'invalid_version',
      `Invalid version ${quoteInput(value)}: expected 20 lowercase hex characters.`,
    )
  }
}

/** Orders two versions: negative when `a` is older than `b`. */
export function compareVersions(a: Version, b: Version): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The version of a record that was never written: older than every real version. */
export const ZERO_VERSION: Version = '00000000000000000000'
