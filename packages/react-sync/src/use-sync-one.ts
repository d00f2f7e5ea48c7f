import type { Schema, Version } from '@fdb-live/core'
import {
  useQuery,
  useSuspenseQuery,
  type QueryClient,
  type SkipToken,
  type UseQueryResult,
  type UseSuspenseQueryResult,
} from '@tanstack/react-query'
import { useCallback, useEffect, useSyncExternalStore } from 'react'
import type { SyncEntry } from './cache-writer.js'
import type { AnySyncQueryKey } from './query-key.js'
import type { SyncClient, SyncKeyStatus } from './sync-client.js'
import { useSyncContext } from './sync-context.js'
import {
  queryKeyFor,
  syncQueryOptions,
  type SyncQueryFn,
  type SyncQueryOptions,
  type UseSyncOneOptions,
} from './sync-query-options.js'

/** What `useSyncOne` adds to the `useQuery` result. */
export interface SyncFields {
  /** The version of `data`; `undefined` until loaded. ZERO_VERSION when a read found nothing. */
  readonly version: Version | undefined
  /** The record's sync state: `live` once the stream has sent its current value. */
  readonly syncStatus: SyncKeyStatus
}

/** The result of {@link useSyncOne}: TanStack's `useQuery` result plus {@link SyncFields}. */
export type UseSyncOneResult<T> = UseQueryResult<T | null, Error> & SyncFields

/** The result of {@link useSuspenseSyncOne}. */
export type UseSuspenseSyncOneResult<T> = UseSuspenseQueryResult<T | null, Error> & SyncFields

/**
 * Reads one record and keeps it live: the component re-renders when the record changes in
 * the store, with no code of its own. `data` is `null` when the record does not exist or
 * was deleted; a failed subscription puts the query in the error state with the gateway's
 * code (`error.code`).
 *
 * @example
 * const { data: quote, version, syncStatus } = useSyncOne(Quote, 'my-favorite-quote')
 */
export function useSyncOne<T>(
  schema: Schema<T>,
  id: string,
  options?: UseSyncOneOptions<T>,
): UseSyncOneResult<T> {
  const { client, queryClient } = useSyncContext()
  const result = useQuery(syncQueryOptions(client, schema, id, options), queryClient)
  // TanStack resolves `enabled` (a boolean or a function of the query) and `skipToken`.
  const syncStatus = useRecordSync(client, schema.name, id, {
    enabled: result.isEnabled,
    invalidate: typeof options?.queryFn === 'function',
  })
  const queryKey = queryKeyFor(client, schema, id, options?.queryFn)
  return withSyncFields(result, queryClient, queryKey, syncStatus)
}

/** {@link useSyncOne} for Suspense: suspends until the record is loaded, so `data` is `T | null`. */
export function useSuspenseSyncOne<T>(
  schema: Schema<T>,
  id: string,
  options?: Omit<UseSyncOneOptions<T>, 'enabled' | 'placeholderData' | 'queryFn'> & {
    queryFn?: SyncQueryFn<T> | undefined
  },
): UseSuspenseSyncOneResult<T> {
  const { client, queryClient } = useSyncContext()
  // Without `skipToken` in the options, the query function is never `skipToken`.
  const queryOptions = syncQueryOptions(client, schema, id, options) as SyncQueryOptions<T> & {
    queryFn: Exclude<SyncQueryOptions<T>['queryFn'], SkipToken>
  }
  const result = useSuspenseQuery(queryOptions, queryClient)
  const syncStatus = useRecordSync(client, schema.name, id, {
    enabled: true,
    invalidate: typeof options?.queryFn === 'function',
  })
  const queryKey = queryKeyFor(client, schema, id, options?.queryFn)
  return withSyncFields(result, queryClient, queryKey, syncStatus)
}

/** Subscribes the record while enabled; returns its sync status, read per record. */
function useRecordSync(
  client: SyncClient,
  name: string,
  id: string,
  { enabled, invalidate }: { enabled: boolean; invalidate: boolean },
): SyncKeyStatus {
  useEffect(
    () => (enabled ? client.subscribe(name, id, { invalidate }) : undefined),
    [client, name, id, enabled, invalidate],
  )
  // Each hook listens to its own record only: a change to one record costs O(1), not O(n).
  const subscribe = useCallback(
    (onChange: () => void) => client.onKeyStatusChange(name, id, onChange),
    [client, name, id],
  )
  return useSyncExternalStore(
    subscribe,
    () => client.getKeyStatus(name, id),
    () => 'connecting' as const,
  )
}

/**
 * The result with `version` and `syncStatus`. A proxy, not a spread: TanStack tracks which
 * result fields a component reads and re-renders only when those change; spreading would
 * read (and track) all of them. `version` lives in the cache entry next to the value
 * (`data` is the selected value): reading it reads `dataUpdatedAt`, which every write of
 * the entry changes, so TanStack re-renders a component that shows the version, with no
 * cache listener per hook.
 */
function withSyncFields<R extends object>(
  result: R,
  queryClient: QueryClient,
  queryKey: AnySyncQueryKey,
  syncStatus: SyncKeyStatus,
): R & SyncFields {
  return new Proxy(result, {
    get(target, property, receiver) {
      if (property === 'syncStatus') return syncStatus
      if (property === 'version') {
        Reflect.get(target, 'dataUpdatedAt', receiver)
        return queryClient.getQueryData<SyncEntry<unknown>>(queryKey)?.version
      }
      return Reflect.get(target, property, receiver) as unknown
    },
  }) as R & SyncFields
}
