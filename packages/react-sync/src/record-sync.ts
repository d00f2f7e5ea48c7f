import { SyncError, isSyncErrorCode, type Version } from '@fdb-live/core'
import type { QueryClient } from '@tanstack/react-query'
import { syncEntry, writeEntry, writeError, type SyncEntry } from './cache-writer.js'
import type { OwnSyncQueryKey, SyncQueryKey } from './query-key.js'
import type { SubscriptionEntry } from './subscription-set.js'
import type { KeyErrorEvent, KeyEvent, ValueEvent } from './sync-events.js'
import { isAtLeast, isOlder, isOlderEntry } from './version-order.js'

/**
 * Everything a client knows about one subscribed record, in one object (as TanStack's
 * `QueryCache` keeps one `Query` per hash). It leaves the client's map with the record, so
 * nothing has to be pruned by hand.
 */
export interface RecordSync extends SubscriptionEntry {
  /** The gateway's data (the default `queryFn`). */
  readonly queryKey: SyncQueryKey
  /** The app's own data (components with their own `queryFn`): invalidated on change. */
  readonly ownQueryKey: OwnSyncQueryKey
  /** The newest version seen on the stream (with the cache's, the `since`). */
  version: Version | undefined
  /**
   * The newest entry this record has had, from the stream or the cache (fetch, hydrate):
   * what the cache is restored to if something moves it backwards.
   */
  newest: SyncEntry<unknown> | undefined
  /** Why this record's subscription failed, until a new stream retries it. */
  error: SyncError | undefined
  /** The name breaks docs/protocol.md's rules: never sent, so it cannot fail the stream. */
  readonly invalid: boolean
  /** The current stream sent this record's current value (`synced`). */
  synced: boolean
  /** `onEvent` listeners of `SyncClient.subscribe`. */
  readonly listeners: Set<(event: KeyEvent) => void>
}

/** A new record, seeded with the cache's entry; `invalid` holds the error the gateway would answer for its name. */
export function createRecordSync(
  entry: SubscriptionEntry,
  keys: { queryKey: SyncQueryKey; ownQueryKey: OwnSyncQueryKey },
  invalid: SyncError | undefined,
  queryClient: QueryClient | undefined,
): RecordSync {
  return Object.assign(entry, {
    ...keys,
    version: undefined,
    newest: queryClient?.getQueryData<SyncEntry<unknown>>(keys.queryKey),
    error: invalid,
    invalid: invalid !== undefined,
    synced: false,
    listeners: new Set<(event: KeyEvent) => void>(),
  })
}

/**
 * Applies a pushed value: never backwards. With the default `queryFn` the value is written
 * into the cache; with an app's own `queryFn` the query is invalidated (refetched) instead.
 * Returns false when the event was older than what the record has.
 */
export function applyValue(
  record: RecordSync,
  event: ValueEvent,
  queryClient: QueryClient | undefined,
  epoch: string | undefined,
): boolean {
  if (isOlder(event.version, record.version)) return false
  const entry = syncEntry(event.value, event.version, epoch)
  record.version = event.version
  record.newest = entry
  if (queryClient === undefined) return true
  if (record.refs > record.invalidators) writeEntry(queryClient, record.queryKey, entry)
  if (record.invalidators > 0) {
    const cached = queryClient.getQueryData<SyncEntry<unknown>>(record.ownQueryKey)
    if (!isAtLeast(cached, entry)) void refetch(record, queryClient)
  }
  return true
}

/**
 * The stream's store epoch changed (the store was reset or restored): versions seen before
 * belong to another store and order nothing now. The cache keeps showing the old data until
 * the new store's values arrive; they replace it whatever their versions (`isOlderEntry`).
 */
export function forgetVersions(record: RecordSync): void {
  record.version = undefined
  record.newest = undefined
}

async function refetch(record: RecordSync, queryClient: QueryClient): Promise<void> {
  const filters = { queryKey: record.ownQueryKey, exact: true }
  const query = queryClient.getQueryCache().find(filters)
  // While a query has no data, TanStack hands an invalidation the fetch already in flight,
  // which may have read the record before this change: cancel it, so the refetch reads after.
  if (query?.state.fetchStatus === 'fetching' && query.state.data === undefined) {
    await queryClient.cancelQueries(filters)
  }
  await queryClient.invalidateQueries(filters)
}

/**
 * The record's cache entry was written (a fetch, `setQueryData`, or TanStack's `hydrate`,
 * which sets a query's state directly). A newer entry is remembered; an entry older than
 * the newest one the record had is replaced by it (or refetched, for a custom `queryFn`):
 * otherwise data and `since` disagree, and the gateway never resends.
 */
export function noteCacheWrite(
  record: RecordSync,
  queryClient: QueryClient,
  own: boolean,
  streamEpoch: string | undefined,
): void {
  if (own) {
    // The app's data is stamped with the stream's version known when its read started.
    const cached = queryClient.getQueryData<SyncEntry<unknown>>(record.ownQueryKey)
    const streamed = record.version
    if (cached === undefined || streamed === undefined) return
    if (isOlderEntry(cached, { version: streamed, epoch: streamEpoch })) {
      void refetch(record, queryClient)
    }
    return
  }
  const cached = queryClient.getQueryData<SyncEntry<unknown>>(record.queryKey)
  const newest = record.newest
  if (cached === undefined) return
  if (newest === undefined || !isOlderEntry(cached, newest)) record.newest = cached
  else writeEntry(queryClient, record.queryKey, newest)
}

/** Puts the record (and its query) into the error state. */
export function applyError(
  record: RecordSync,
  error: SyncError,
  queryClient: QueryClient | undefined,
): void {
  record.error = error
  record.synced = false
  if (queryClient === undefined) return
  for (const key of [record.queryKey, record.ownQueryKey]) {
    writeError(queryClient, key, error).catch(() => {})
  }
}

/** A new stream carries the record again: a failed subscription is retried (refetched). */
export function retryAfterError(record: RecordSync, queryClient: QueryClient | undefined): boolean {
  if (record.error === undefined || record.invalid) return false
  record.error = undefined
  for (const key of [record.queryKey, record.ownQueryKey]) {
    void queryClient?.invalidateQueries({ queryKey: key, exact: true })
  }
  return true
}

/** The `SyncError` of a stream's `error` event. */
export function errorOfEvent(event: KeyErrorEvent): SyncError {
  const code = isSyncErrorCode(event.code) ? event.code : 'internal'
  return new SyncError(code, event.message || `Subscription failed: ${event.code}.`)
}
