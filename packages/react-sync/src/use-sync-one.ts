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
import { syncQueryKey } from './query-key.js'
import type { SyncClient, SyncKeyStatus } from './sync-client.js'
import { useSyncContext } from './sync-context.js'
import {
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
  const fields = useRecordSync(client, queryClient, schema, id, {
    enabled: result.isEnabled,
    invalidate: options?.queryFn !== undefined,
  })
  return withSyncFields(result, fields)
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
  const fields = useRecordSync(client, queryClient, schema, id, {
    enabled: true,
    invalidate: options?.queryFn !== undefined,
  })
  return withSyncFields(result, fields)
}

function useRecordSync(
  client: SyncClient,
  queryClient: QueryClient,
  schema: Schema<unknown>,
  id: string,
  { enabled, invalidate }: { enabled: boolean; invalidate: boolean },
): SyncFields {
  const name = schema.name
  useEffect(
    () => (enabled ? client.subscribe(name, id, { invalidate }) : undefined),
    [client, name, id, enabled, invalidate],
  )
  const syncStatus = useSyncExternalStore(
    client.onStatusChange,
    () => client.getKeyStatus(name, id),
    () => 'connecting' as const,
  )
  // The version lives next to the value in the cache entry, but `data` is the selected
  // value; read the version from the entry, re-rendering only when it changes.
  const subscribeCache = useCallback(
    (onChange: () => void) => queryClient.getQueryCache().subscribe(onChange),
    [queryClient],
  )
  const readVersion = (): Version | undefined =>
    queryClient.getQueryData<SyncEntry<unknown>>(syncQueryKey(client.tenant, schema, id))?.version
  const version = useSyncExternalStore(subscribeCache, readVersion, readVersion)
  return { version, syncStatus }
}

// A proxy, not a spread: TanStack tracks which result fields a component reads and
// re-renders only when those change; spreading would read (and track) all of them.
function withSyncFields<R extends object>(result: R, fields: SyncFields): R & SyncFields {
  return new Proxy(result, {
    get(target, property, receiver) {
      if (property === 'version') return fields.version
      if (property === 'syncStatus') return fields.syncStatus
      return Reflect.get(target, property, receiver) as unknown
    },
  }) as R & SyncFields
}
