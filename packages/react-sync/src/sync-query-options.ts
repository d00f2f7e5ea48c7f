import { ZERO_VERSION, isSyncError, type Schema } from '@fdb-live/core'
import {
  skipToken,
  type QueryFunction,
  type QueryFunctionContext,
  type SkipToken,
  type UseQueryOptions,
} from '@tanstack/react-query'
import { keepNewer, syncEntry, type SyncEntry } from './cache-writer.js'
import { ownSyncQueryKey, syncQueryKey, type AnySyncQueryKey } from './query-key.js'
import type { SyncClient } from './sync-client.js'

/** A user-supplied `queryFn`: returns the record in the app's own shape, or `null`. */
export type SyncQueryFn<T> = (context: QueryFunctionContext<AnySyncQueryKey>) => Promise<T | null>

/** Options of `useSyncOne`: TanStack's `useQuery` options, minus those fdb-live sets. */
export type UseSyncOneOptions<T> = Omit<
  UseQueryOptions<SyncEntry<T>, Error, T | null, AnySyncQueryKey>,
  'queryKey' | 'queryFn' | 'select' | 'structuralSharing'
> & {
  /**
   * Reads the record from the app's own API. On a change the query is invalidated (and so
   * refetched) instead of receiving the pushed value. `skipToken` disables the query (and
   * its subscription), as in TanStack Query. @default GET the gateway's record
   */
  queryFn?: SyncQueryFn<T> | SkipToken | undefined
}

/** The query options for a record: what `useSyncOne` uses, and what to prefetch on a server. */
export type SyncQueryOptions<T> = Omit<
  UseQueryOptions<SyncEntry<T>, Error, T | null, AnySyncQueryKey>,
  'queryKey' | 'queryFn'
> & {
  queryKey: AnySyncQueryKey
  queryFn: QueryFunction<SyncEntry<T>, AnySyncQueryKey> | SkipToken
}

const selectValue = <T>(entry: SyncEntry<T>): T | null => entry.value

/**
 * Builds the query options of a record. Prefetch on the server with
 * `queryClient.prefetchQuery(syncQueryOptions(client, Quote, id))` and dehydrate as usual:
 * the cache holds `{ value, version }`, so the client resumes the stream from the hydrated
 * version.
 */
export function syncQueryOptions<T>(
  client: SyncClient,
  schema: Schema<T>,
  id: string,
  options: UseSyncOneOptions<T> = {},
): SyncQueryOptions<T> {
  const { queryFn: userQueryFn, ...rest } = options
  const queryFn =
    userQueryFn === skipToken
      ? skipToken
      : userQueryFn === undefined
        ? (context: QueryFunctionContext<AnySyncQueryKey>) =>
            client.fetchRecord<T>(schema.name, id, context.signal)
        : async (context: QueryFunctionContext<AnySyncQueryKey>): Promise<SyncEntry<T>> => {
            // The version known when the fetch starts: the app's API has at least that one.
            const version = client.knownVersion(schema.name, id) ?? ZERO_VERSION
            return syncEntry(await userQueryFn(context), version, client.knownEpoch())
          }
  return {
    // The stream keeps the default data current; an app's own data is invalidated on change.
    staleTime: userQueryFn === undefined ? Infinity : 0,
    retry: (failureCount, error) =>
      failureCount < 3 &&
      !(isSyncError(error) && error.httpStatus >= 400 && error.httpStatus < 500),
    ...rest,
    queryKey: queryKeyFor(client, schema, id, userQueryFn),
    queryFn,
    select: selectValue,
    structuralSharing: keepNewer,
  }
}

/**
 * The cache entry of a record: the gateway's data under `syncQueryKey`, an app's own
 * `queryFn` under `ownSyncQueryKey`, so the two never share (or overwrite) one entry.
 */
export function queryKeyFor<T>(
  client: SyncClient,
  schema: Schema<T>,
  id: string,
  queryFn: SyncQueryFn<T> | SkipToken | undefined,
): AnySyncQueryKey {
  return typeof queryFn === 'function'
    ? ownSyncQueryKey(client.tenant, schema, id)
    : syncQueryKey(client.tenant, schema, id)
}
