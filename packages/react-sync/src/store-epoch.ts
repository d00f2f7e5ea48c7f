import type { Version } from '@fdb-live/core'
import type { SyncEntry } from './cache-writer.js'
import { newerVersion } from './version-order.js'

/**
 * Reset detection (docs/protocol.md, "hello"). A store has an epoch, a random id made with
 * it; a store that was reset or restored has a new one, and its versions may compare lower
 * than those a client holds. Each request says which epoch the client's `since` values
 * belong to: the stream's last `hello`, or before any, the epoch of a cached entry (from a
 * record read or server rendering). The gateway ignores every `since` of a request from
 * another epoch and sends every record's value.
 */
export function requestEpoch(
  streamEpoch: string | undefined,
  cached: Iterable<SyncEntry<unknown> | undefined>,
): string | undefined {
  if (streamEpoch !== undefined) return streamEpoch
  for (const entry of cached) if (entry?.epoch !== undefined) return entry.epoch
  return undefined
}

/**
 * A record's `since` for a request at `epoch`: the newest of the stream's version and the
 * cached one, leaving out a cached version of another epoch (its order means nothing now).
 */
export function sinceFor(
  streamVersion: Version | undefined,
  cached: SyncEntry<unknown> | undefined,
  epoch: string | undefined,
): Version | undefined {
  const sameEpoch = epoch === undefined || cached?.epoch === undefined || cached.epoch === epoch
  return newerVersion(streamVersion, sameEpoch ? cached?.version : undefined)
}
