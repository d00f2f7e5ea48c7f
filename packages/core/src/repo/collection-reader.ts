import { unpack } from 'fdb-tuple'
import { SyncError } from '../errors.js'
import type { KvTransaction } from '../kv/store.js'
import { assertId } from '../names.js'
import { ZERO_VERSION, versionFromBytes, versionToBytes, type Version } from '../version.js'
import type { CollectionKeys } from './collection-keys.js'
import type { CollectionSettings } from './collection-writer.js'
import type { CollectionChange, CollectionChanges, RecordState, SyncRecord } from './types.js'

/** Reads one record's state in the same transaction. */
export type ReadRecord = (id: string) => Promise<RecordState<unknown>>

/** What the reader needs besides the keys: the record reader, the limits, a name for errors. */
export interface CollectionReadContext {
  tx: KvTransaction
  keys: CollectionKeys
  read: ReadRecord
  settings: CollectionSettings
  /** `todos where byList="inbox" in tenant t1`, for error messages. */
  what: string
}

/** The members in id order, from the "m" entries, refused over the size limit. */
export async function listMembers(
  context: CollectionReadContext,
  options: { limit?: number | undefined; after?: string | undefined },
): Promise<Array<SyncRecord<unknown>>> {
  const { tx, keys, settings } = context
  const { limit, after } = options
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new SyncError('invalid_request', `list limit must be a positive integer, got ${limit}.`)
  }
  if (after !== undefined) assertId(after)
  const start =
    after === undefined ? keys.members[0] : Buffer.concat([keys.member(after), Buffer.of(0)])
  const cap = Math.min(limit ?? Number.POSITIVE_INFINITY, settings.maxMembers + 1)
  const entries = await tx.getRange(start, keys.members[1], { limit: cap })
  if (entries.length > settings.maxMembers) throw tooLarge(context)
  const ids = entries.map(({ key }) => idOfMember(keys, key))
  const states = await Promise.all(ids.map((id) => context.read(id)))
  return states.flatMap((state) =>
    state.value === null ? [] : [{ id: state.id, version: state.version, value: state.value }],
  )
}

/**
 * What changed in the collection after `since` (see `CollectionChanges`): one range read
 * of the "v" entries and one of the "d" entries after `since`, or every member (`reset`)
 * when there is no usable `since`.
 */
export async function readChangesSince(
  context: CollectionReadContext,
  since: Version | undefined,
): Promise<CollectionChanges<unknown>> {
  const { tx, keys, settings } = context
  const sinceBytes = since === undefined ? undefined : versionToBytes(since)
  const [head, horizon] = await Promise.all([tx.get(keys.head), tx.get(keys.horizon)])
  const version = head === undefined ? ZERO_VERSION : versionFromBytes(head)
  const usable =
    since !== undefined &&
    since <= version &&
    (horizon === undefined || since >= versionFromBytes(horizon))
  if (usable && since === version) return { reset: false, changes: [], version }
  if (usable && sinceBytes !== undefined) {
    const limit = { limit: settings.maxMembers + 1 }
    const [changed, removed] = await Promise.all([
      tx.getRange(keys.changes.after(sinceBytes), keys.changes.end, limit),
      tx.getRange(keys.removals.after(sinceBytes), keys.removals.end, limit),
    ])
    // More changes than a collection may have members: a full reload is no bigger.
    if (changed.length + removed.length <= settings.maxMembers) {
      const changes: Array<CollectionChange<unknown>> = await Promise.all(
        changed.map(async ({ key }) => {
          const { id } = keys.changes.decode(key)
          const state = await context.read(id)
          return { id, version: state.version, value: state.value }
        }),
      )
      for (const { key } of removed) {
        const { stamp, id } = keys.removals.decode(key)
        changes.push({ id, version: versionFromBytes(stamp), value: null })
      }
      return { reset: false, changes: changes.sort(byVersionThenId), version }
    }
  }
  const members = await listMembers(context, {})
  return { reset: true, changes: members.sort(byVersionThenId), version }
}

function byVersionThenId(a: { id: string; version: Version }, b: typeof a): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1
  return Buffer.compare(Buffer.from(a.id), Buffer.from(b.id))
}

/** An "m" key is the start of the members range, pack(("m",)), followed by pack((id,)). */
function idOfMember(keys: CollectionKeys, key: Uint8Array): string {
  const bytes = Buffer.from(key.buffer, key.byteOffset, key.byteLength)
  const [id] = unpack(bytes.subarray(keys.members[0].length))
  if (typeof id !== 'string') {
    throw new SyncError(
      'internal',
      'A collection member key is not in the data layout; see docs/data-layout.md.',
    )
  }
  return id
}

function tooLarge(context: CollectionReadContext): SyncError {
  return new SyncError(
    'collection_too_large',
    `The collection ${context.what} has more than ${context.settings.maxMembers} members, the limit (RepoOptions.maxCollectionSize; for the gateway, --max-collection-size or its maxCollectionSize option): narrow it with a declared index (where), or raise the limit.`,
  )
}
