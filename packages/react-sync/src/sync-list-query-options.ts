import { isSyncError, type Schema } from '@fdb-live/core'
import type { QueryFunction, UseQueryOptions } from '@tanstack/react-query'
import { keepNewer, type SyncListEntry } from './cache-writer.js'
import type { ListMember } from './list-state.js'
import { syncListQueryKey, type SyncListQueryKey } from './query-key.js'
import type { SyncClient } from './sync-client.js'
import type { SyncWhere } from './sync-events.js'

/** One member of a collection as `useSyncList` returns it: the record's id, version and value. */
export type SyncListMember<T> = ListMember<T>

/** Options of `useSyncList`: which collection, plus TanStack's `useQuery` options fdb-live does not set. */
export type UseSyncListOptions<T> = Omit<
  UseQueryOptions<SyncListEntry<T>, Error, ReadonlyArray<SyncListMember<T>>, SyncListQueryKey>,
  'queryKey' | 'queryFn' | 'select' | 'structuralSharing'
> & {
  /**
   * One value of one declared index, e.g. `{ byList: 'inbox' }` (docs/protocol.md,
   * "Collections"). @default every record of the schema
   */
  where?: SyncWhere | undefined
}

/** The query options of a collection: what `useSyncList` uses, and what to prefetch. */
export type SyncListQueryOptions<T> = Omit<
  UseQueryOptions<SyncListEntry<T>, Error, ReadonlyArray<SyncListMember<T>>, SyncListQueryKey>,
  'queryKey' | 'queryFn'
> & {
  queryKey: SyncListQueryKey
  queryFn: QueryFunction<SyncListEntry<T>, SyncListQueryKey>
}

const selectMembers = <T>(entry: SyncListEntry<T>): ReadonlyArray<SyncListMember<T>> =>
  entry.members

/**
 * Builds the query options of a collection. Its data comes from the stream (there is no
 * list read outside it): the query function subscribes and resolves with the first batch.
 * On a server, `prefetchQuery(syncListQueryOptions(client, Todo, { where }))` opens a
 * stream until that batch has arrived; the dehydrated entry holds the members and the
 * collection's version, so the browser resumes from it and receives only what changed.
 */
export function syncListQueryOptions<T>(
  client: SyncClient,
  schema: Schema<T>,
  options: UseSyncListOptions<T> = {},
): SyncListQueryOptions<T> {
  const { where = null, ...rest } = options
  return {
    // The stream keeps the data current.
    staleTime: Infinity,
    retry: (failureCount, error) =>
      failureCount < 3 &&
      !(isSyncError(error) && error.httpStatus >= 400 && error.httpStatus < 500),
    ...rest,
    queryKey: syncListQueryKey(client.tenant, schema, where),
    queryFn: ({ signal }) => client.loadList<T>(schema.name, where, signal),
    select: selectMembers,
    structuralSharing: keepNewer,
  }
}
