import { SyncError, assertSchemaName, isSyncError, isSyncErrorCode } from '@fdb-live/core'
import type { QueryClient } from '@tanstack/react-query'
import {
  syncEntry,
  syncListEntry,
  writeEntry,
  writeError,
  writeListEntry,
  type SyncListEntry,
} from './cache-writer.js'
import { applyListEvent, createListState, type ListCommit, type ListState } from './list-state.js'
import type { SyncListQueryKey } from './query-key.js'
import { isOlderEntry } from './version-order.js'
import type { SubscriptionEntry } from './subscription-set.js'
import type { CollectionEvent, CollectionErrorEvent, SyncWhere } from './sync-events.js'

/**
 * Everything a client knows about one subscribed collection (the counterpart of
 * `record-sync.ts`). It leaves the client's set with the collection.
 */
export interface ListSync extends SubscriptionEntry {
  readonly where: SyncWhere
  readonly queryKey: SyncListQueryKey
  /** The members and the version (the next `since`). */
  readonly state: ListState
  /** Why the subscription failed, until a new stream retries it. */
  error: SyncError | undefined
  /** The schema or `where` breaks docs/protocol.md's rules: never sent, so it cannot fail the stream. */
  readonly invalid: boolean
  /** The current stream has committed a batch of this collection. */
  synced: boolean
  /** `onEvent` listeners of `SyncClient.subscribeList`. */
  readonly listeners: Set<(event: CollectionEvent) => void>
  /** `loadList` calls waiting for the first commit (or an error). */
  readonly waiters: Set<{ resolve: () => void; reject: (error: Error) => void }>
}

/** A new collection, seeded with the cache's entry (prefetched, hydrated, or lingering). */
export function createListSync(
  entry: SubscriptionEntry,
  where: SyncWhere,
  queryKey: SyncListQueryKey,
  queryClient: QueryClient | undefined,
): ListSync {
  const cached = queryClient?.getQueryData<SyncListEntry<unknown>>(queryKey)
  const invalid = collectionError(entry.schema, where)
  return Object.assign(entry, {
    where,
    queryKey,
    state: createListState(cached),
    error: invalid,
    invalid: invalid !== undefined,
    synced: false,
    listeners: new Set<(event: CollectionEvent) => void>(),
    waiters: new Set<{ resolve: () => void; reject: (error: Error) => void }>(),
  })
}

/** The collection's entry as it is now, or `undefined` before its first commit. */
export function listEntryOf<T>(
  list: ListSync,
  epoch: string | undefined,
): SyncListEntry<T> | undefined {
  const { sorted, version } = list.state
  if (version === undefined) return undefined
  return syncListEntry(sorted as SyncListEntry<T>['members'], version, epoch)
}

/**
 * Applies an event. At a commit the collection's entry is written, and so is each member's
 * record entry (version-checked, so a `useSyncOne` on a member is already current and never
 * moved backwards). A member that left the whole schema was deleted: its record becomes
 * `null`. One that left an index's collection may still exist (its field changed): its
 * record is left alone. Returns the commit, if any.
 */
export function applyCollectionEvent(
  list: ListSync,
  event: CollectionEvent,
  queryClient: QueryClient | undefined,
  tenant: string,
  epoch: string | undefined,
): ListCommit | undefined {
  let commit: ListCommit | undefined
  switch (event.type) {
    case 'collection-reset':
      applyListEvent(list.state, { type: 'reset' })
      return undefined
    case 'collection-change':
      applyListEvent(list.state, { type: 'change', change: event })
      return undefined
    case 'collection-error':
      applyListError(list, errorOfCollectionEvent(event), queryClient)
      return undefined
    case 'collection-synced':
      commit = applyListEvent(list.state, { type: 'synced', version: event.version })
  }
  if (commit === undefined) return undefined
  list.synced = true
  list.error = undefined
  if (queryClient !== undefined) {
    const entry = listEntryOf(list, epoch)
    if (entry !== undefined) writeListEntry(queryClient, list.queryKey, entry)
    for (const member of commit.changed) {
      const key = ['fdb-live', tenant, list.schema, member.id]
      writeEntry(queryClient, key, syncEntry(member.value, member.version, epoch))
    }
    if (list.where === null) {
      for (const { id, version } of commit.left) {
        writeEntry(
          queryClient,
          ['fdb-live', tenant, list.schema, id],
          syncEntry(null, version, epoch),
        )
      }
    }
  }
  for (const waiter of list.waiters) waiter.resolve()
  list.waiters.clear()
  return commit
}

/**
 * The collection's cache entry was written from outside the stream (TanStack's `hydrate`
 * sets a query's state directly, newest `dataUpdatedAt` first). An entry older than what
 * the client holds is written back; a newer one (a server snapshot taken after) becomes
 * what the client holds, and so its `since`.
 */
export function noteListCacheWrite(
  list: ListSync,
  queryClient: QueryClient,
  epoch: string | undefined,
): void {
  const cached = queryClient.getQueryData<SyncListEntry<unknown>>(list.queryKey)
  const held = listEntryOf(list, epoch)
  if (cached === undefined || cached === held) return
  if (held !== undefined && isOlderEntry(cached, held)) {
    writeListEntry(queryClient, list.queryKey, held)
  } else if (held === undefined || cached.version > held.version) {
    const seeded = createListState(cached)
    Object.assign(list.state, {
      members: seeded.members,
      sorted: seeded.sorted,
      version: seeded.version,
    })
  }
}

/** Puts the collection (and its query) into the error state. */
export function applyListError(
  list: ListSync,
  error: SyncError,
  queryClient: QueryClient | undefined,
): void {
  list.error = error
  list.synced = false
  for (const waiter of list.waiters) waiter.reject(error)
  list.waiters.clear()
  if (queryClient !== undefined) writeError(queryClient, list.queryKey, error).catch(() => {})
}

/** The error the gateway would answer for this collection, if any (checked locally). */
function collectionError(schema: string, where: SyncWhere): SyncError | undefined {
  try {
    assertSchemaName(schema)
  } catch (error) {
    return isSyncError(error) ? error : new SyncError('invalid_request', String(error))
  }
  const entries = Object.entries(where ?? {})
  const valid = entries.every(
    ([, value]) =>
      typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean',
  )
  if (entries.length <= 1 && valid) return undefined
  return new SyncError(
    'invalid_request',
    `A collection's where has at most one entry, an index name and a string, number or boolean: got ${JSON.stringify(where)}.`,
  )
}

/** The `SyncError` of a collection's `error` event. */
export function errorOfCollectionEvent(event: CollectionErrorEvent): SyncError {
  const code = isSyncErrorCode(event.code) ? event.code : 'internal'
  return new SyncError(code, event.message || `Collection subscription failed: ${event.code}.`)
}
