import type { Schema, Version } from '@fdb-live/core'
import {
  useQuery,
  useSuspenseQuery,
  type UseQueryResult,
  type UseSuspenseQueryResult,
} from '@tanstack/react-query'
import { useCallback, useEffect, useSyncExternalStore } from 'react'
import type { SyncListEntry } from './cache-writer.js'
import type { SyncListQueryKey } from './query-key.js'
import type { SyncClient, SyncKeyStatus } from './sync-client.js'
import { useSyncContext } from './sync-context.js'
import type { SyncWhere } from './sync-events.js'
import {
  syncListQueryOptions,
  type SyncListMember,
  type UseSyncListOptions,
} from './sync-list-query-options.js'

/** What `useSyncList` adds to the `useQuery` result. */
export interface SyncListFields {
  /** The collection's version (its last `collection-synced`); `undefined` until loaded. */
  readonly version: Version | undefined
  /** The collection's sync state: `live` once the current stream has sent its batch. */
  readonly syncStatus: SyncKeyStatus
}

/** The result of {@link useSyncList}. */
export type UseSyncListResult<T> = UseQueryResult<ReadonlyArray<SyncListMember<T>>, Error> &
  SyncListFields

/** The result of {@link useSuspenseSyncList}. */
export type UseSuspenseSyncListResult<T> = UseSuspenseQueryResult<
  ReadonlyArray<SyncListMember<T>>,
  Error
> &
  SyncListFields

/**
 * Reads a collection and keeps it live: every record of the schema, or with `where` those
 * whose declared index has one value. `data` is `Array<{ id, version, value }>` in ascending
 * id order (the UTF-8 bytes of the id, as the store orders keys), stable across changes: a
 * row moves only when it joins or leaves. Each member is also written to its record's cache
 * entry, so `useSyncOne` on a member shows it at once. A failed subscription (e.g.
 * `collection_too_large`) puts the query in the error state with the gateway's code.
 *
 * @example
 * const { data: todos, syncStatus } = useSyncList(Todo, { where: { byList: 'inbox' } })
 */
export function useSyncList<T>(
  schema: Schema<T>,
  options?: UseSyncListOptions<T>,
): UseSyncListResult<T> {
  const { client, queryClient } = useSyncContext()
  const queryOptions = syncListQueryOptions(client, schema, options)
  const result = useQuery(queryOptions, queryClient)
  const where = options?.where ?? null
  const syncStatus = useListSync(client, schema.name, where, result.isEnabled)
  return withListFields(result, queryOptions.queryKey, syncStatus, (key) =>
    queryClient.getQueryData<SyncListEntry<T>>(key),
  )
}

/** {@link useSyncList} for Suspense: suspends until the first batch has arrived. */
export function useSuspenseSyncList<T>(
  schema: Schema<T>,
  options?: Omit<UseSyncListOptions<T>, 'enabled' | 'placeholderData'>,
): UseSuspenseSyncListResult<T> {
  const { client, queryClient } = useSyncContext()
  const queryOptions = syncListQueryOptions(client, schema, options)
  const result = useSuspenseQuery(queryOptions, queryClient)
  const syncStatus = useListSync(client, schema.name, options?.where ?? null, true)
  return withListFields(result, queryOptions.queryKey, syncStatus, (key) =>
    queryClient.getQueryData<SyncListEntry<T>>(key),
  )
}

/** Subscribes the collection while enabled; returns its sync status. */
function useListSync(
  client: SyncClient,
  name: string,
  where: SyncWhere,
  enabled: boolean,
): SyncKeyStatus {
  // `where` by value: an inline `{ where: { byList } }` is a new object every render.
  const whereJson = JSON.stringify(where)
  useEffect(
    () => (enabled ? client.subscribeList(name, JSON.parse(whereJson) as SyncWhere) : undefined),
    [client, name, whereJson, enabled],
  )
  const subscribe = useCallback(
    (onChange: () => void) =>
      client.onListStatusChange(name, JSON.parse(whereJson) as SyncWhere, onChange),
    [client, name, whereJson],
  )
  return useSyncExternalStore(
    subscribe,
    () => client.getListStatus(name, JSON.parse(whereJson) as SyncWhere),
    () => 'connecting' as const,
  )
}

/** The result with `version` and `syncStatus`, as a proxy (see `use-sync-one.ts`). */
function withListFields<R extends object>(
  result: R,
  queryKey: SyncListQueryKey,
  syncStatus: SyncKeyStatus,
  read: (key: SyncListQueryKey) => SyncListEntry<unknown> | undefined,
): R & SyncListFields {
  return new Proxy(result, {
    get(target, property, receiver) {
      if (property === 'syncStatus') return syncStatus
      if (property === 'version') {
        Reflect.get(target, 'dataUpdatedAt', receiver)
        return read(queryKey)?.version
      }
      return Reflect.get(target, property, receiver) as unknown
    },
  }) as R & SyncListFields
}
