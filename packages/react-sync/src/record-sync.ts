import { SyncError, isSyncErrorCode, type Version } from '@fdb-live/core'
import type { QueryClient } from '@tanstack/react-query'
import { writeEntry, writeError, type SyncEntry } from './cache-writer.js'
import type { SyncQueryKey } from './query-key.js'
import type { SubscriptionEntry } from './subscription-set.js'
import type { KeyErrorEvent, KeyEvent, ValueEvent } from './sync-events.js'
import { isOlder } from './version-order.js'

/**
 * Everything a client knows about one subscribed record, in one object (as TanStack's
 * `QueryCache` keeps one `Query` per hash). It leaves the client's map with the record, so
 * nothing has to be pruned by hand.
 */
export interface RecordSync extends SubscriptionEntry {
  readonly queryKey: SyncQueryKey
  /** The newest version seen on the stream (with the cache's, the `since`). */
  version: Version | undefined
  /** The newest value event applied: what the cache is restored to if it moves backwards. */
  latest: ValueEvent | undefined
  /** Why this record's subscription failed, until a new stream retries it. */
  error: SyncError | undefined
  /** The name breaks docs/protocol.md's rules: never sent, so it cannot fail the stream. */
  readonly invalid: boolean
  /** The current stream sent this record's current value (`synced`). */
  synced: boolean
  /** `onEvent` listeners of `SyncClient.subscribe`. */
  readonly listeners: Set<(event: KeyEvent) => void>
}

/** A new record; `invalid` holds the error the gateway would answer for its name. */
export function createRecordSync(
  entry: SubscriptionEntry,
  queryKey: SyncQueryKey,
  invalid: SyncError | undefined,
): RecordSync {
  return Object.assign(entry, {
    queryKey,
    version: undefined,
    latest: undefined,
    error: invalid,
    invalid: invalid !== undefined,
    synced: false,
    listeners: new Set<(event: KeyEvent) => void>(),
  })
}

/** The newest version the record has: the stream's or the cache's. */
export function cachedVersion(
  record: RecordSync,
  queryClient: QueryClient | undefined,
): Version | undefined {
  return queryClient?.getQueryData<SyncEntry<unknown>>(record.queryKey)?.version
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
): boolean {
  if (isOlder(event.version, record.version)) return false
  record.version = event.version
  record.latest = event
  if (queryClient === undefined) return true
  if (record.invalidators > 0) {
    const cached = cachedVersion(record, queryClient)
    if (cached === undefined || cached < event.version) void refetch(record, queryClient)
  } else {
    writeEntry(queryClient, record.queryKey, { value: event.value, version: event.version })
  }
  return true
}

async function refetch(record: RecordSync, queryClient: QueryClient): Promise<void> {
  const filters = { queryKey: record.queryKey, exact: true }
  const query = queryClient.getQueryCache().find(filters)
  // While a query has no data, TanStack hands an invalidation the fetch already in flight,
  // which may have read the record before this change: cancel it, so the refetch reads after.
  if (query?.state.fetchStatus === 'fetching' && query.state.data === undefined) {
    await queryClient.cancelQueries(filters)
  }
  await queryClient.invalidateQueries(filters)
}

/**
 * The cache entry was set from outside (TanStack's `hydrate` sets a query's state directly,
 * `setQueryData`): if it is now older than what the stream delivered, the newest wins again.
 * Otherwise data and `since` would disagree, and the gateway would never resend.
 */
export function restoreIfBehind(record: RecordSync, queryClient: QueryClient): void {
  const latest = record.latest
  const cached = cachedVersion(record, queryClient)
  if (latest === undefined || cached === undefined || !isOlder(cached, latest.version)) return
  if (record.invalidators > 0) void refetch(record, queryClient)
  else writeEntry(queryClient, record.queryKey, { value: latest.value, version: latest.version })
}

/** Puts the record (and its query) into the error state. */
export function applyError(
  record: RecordSync,
  error: SyncError,
  queryClient: QueryClient | undefined,
): void {
  record.error = error
  record.synced = false
  if (queryClient !== undefined) writeError(queryClient, record.queryKey, error).catch(() => {})
}

/** A new stream carries the record again: a failed subscription is retried (refetched). */
export function retryAfterError(record: RecordSync, queryClient: QueryClient | undefined): boolean {
  if (record.error === undefined || record.invalid) return false
  record.error = undefined
  void queryClient?.invalidateQueries({ queryKey: record.queryKey, exact: true })
  return true
}

/** The `SyncError` of a stream's `error` event. */
export function errorOfEvent(event: KeyErrorEvent): SyncError {
  const code = isSyncErrorCode(event.code) ? event.code : 'internal'
  return new SyncError(code, event.message || `Subscription failed: ${event.code}.`)
}
