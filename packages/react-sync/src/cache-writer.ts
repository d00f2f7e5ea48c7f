import type { Version } from '@fdb-live/core'
import { replaceEqualDeep, type QueryClient, type QueryKey } from '@tanstack/react-query'
import { isOlderEntry } from './version-order.js'
import type { ListMember } from './list-state.js'

/**
 * What the query cache holds for a record: the value together with its version.
 *
 * Why an envelope rather than the bare value plus a side map of versions: the version has
 * to travel wherever the data travels. `dehydrate`/`hydrate` (SSR), `prefetchQuery`,
 * `removeQueries` and garbage collection all act on the cache entry; a side map would go
 * out of step with each of them (a hydrated value without its version could be overwritten
 * by an older event). Hooks `select` the value, so components still see `T | null`.
 */
export interface SyncEntry<T> {
  /** The record, or `null` when it does not exist or was deleted. */
  readonly value: T | null
  /**
   * The version `value` is at. `ZERO_VERSION` when a read found no record (a 404 carries no
   * version): older than every real version, so any event replaces it.
   */
  readonly version: Version
  /**
   * The store epoch `version` belongs to, when the gateway said (docs/protocol.md). An entry
   * of another epoch than the cached one replaces it whatever the versions.
   */
  readonly epoch?: string
}

// Entries this module made. TanStack also runs `structuralSharing` on *selected* data
// (the bare `T | null`), so `keepNewer` must recognise a cache entry for sure, not by shape.
const madeHere = new WeakSet<object>()

/** Creates a cache entry (the only way entries should be made). */
export function syncEntry<T>(value: T | null, version: Version, epoch?: string): SyncEntry<T> {
  const entry = epoch === undefined ? { value, version } : { value, version, epoch }
  madeHere.add(entry)
  return entry
}

/**
 * The one rule for every write into the cache: never go backwards. Returns `prev` when
 * `next` is an entry older than it, otherwise `next` with unchanged parts shared with
 * `prev` (TanStack's structural sharing: unchanged values keep their identity).
 *
 * It is installed as the query's `structuralSharing`, which TanStack calls synchronously
 * with the data actually in the cache at the moment of the write. That closes the race of
 * a fetch that started before a push and resolves after it (TanStack/query#3579).
 */
export function keepNewer(prev: unknown, next: unknown): unknown {
  if (typeof next === 'object' && next !== null && madeHere.has(next)) {
    const current = prev as Partial<SyncEntry<unknown>> | undefined
    if (
      typeof current?.version === 'string' &&
      isOlderEntry(next as SyncEntry<unknown>, current as SyncEntry<unknown>)
    ) {
      return prev
    }
  }
  return replaceEqualDeep(prev, next)
}

/**
 * Writes a pushed value if it is not older than the cached one. Returns false when it was
 * dropped as stale.
 */
export function writeEntry<T>(
  queryClient: QueryClient,
  queryKey: QueryKey,
  entry: SyncEntry<T>,
): boolean {
  const current = queryClient.getQueryData<SyncEntry<T>>(queryKey)
  if (isOlderEntry(entry, current)) return false
  // The updater re-checks against the data present at the moment of the write.
  const made = syncEntry(entry.value, entry.version, entry.epoch)
  queryClient.setQueryData<SyncEntry<T>>(queryKey, (prev) => keepNewer(prev, made) as SyncEntry<T>)
  return true
}

/**
 * Puts a query into the error state with `error` (a subscription failed on the stream).
 * TanStack has no public "set error", so this cancels a fetch in flight (whose success would
 * otherwise overwrite the error) and then sets the state the way a failed fetch would.
 */
export async function writeError(
  queryClient: QueryClient,
  queryKey: QueryKey,
  error: Error,
): Promise<void> {
  await queryClient.cancelQueries({ queryKey, exact: true })
  const query = queryClient.getQueryCache().find({ queryKey, exact: true })
  if (query === undefined) return
  query.setState({
    ...query.state,
    status: 'error',
    fetchStatus: 'idle',
    error,
    errorUpdatedAt: Date.now(),
    errorUpdateCount: query.state.errorUpdateCount + 1,
    fetchFailureCount: query.state.fetchFailureCount + 1,
    fetchFailureReason: error,
  })
}

/**
 * What the query cache holds for a collection: its members in ascending id order, with the
 * collection's version (its last `collection-synced`), which travels with the data through
 * SSR hydration as a record's does. Hooks `select` the members.
 */
export interface SyncListEntry<T> {
  /** The members in ascending id order (UTF-8 bytes of the id, the store's key order). */
  readonly members: ReadonlyArray<ListMember<T>>
  /** The collection's version: the `since` a client resumes from. */
  readonly version: Version
  /** The store epoch `version` belongs to, when known. */
  readonly epoch?: string
}

/** Creates a collection's cache entry (checked by {@link keepNewer} like a record's). */
export function syncListEntry<T>(
  members: ReadonlyArray<ListMember<T>>,
  version: Version,
  epoch?: string,
): SyncListEntry<T> {
  const entry = epoch === undefined ? { members, version } : { members, version, epoch }
  madeHere.add(entry)
  return entry
}

/** Writes a collection's entry unless the cached one is newer (same rule as records). */
export function writeListEntry<T>(
  queryClient: QueryClient,
  queryKey: QueryKey,
  entry: SyncListEntry<T>,
): boolean {
  const current = queryClient.getQueryData<SyncListEntry<T>>(queryKey)
  if (isOlderEntry(entry, current)) return false
  queryClient.setQueryData<SyncListEntry<T>>(
    queryKey,
    (prev) => keepNewer(prev, entry) as SyncListEntry<T>,
  )
  return true
}
