import type { Schema } from '@fdb-live/core'

/** The TanStack Query key of one record: `['fdb-live', tenant, schema.name, id]`. */
export type SyncQueryKey = readonly ['fdb-live', string, string, string]

/**
 * The query key {@link useSyncOne} uses for a record. Use it to prefetch on the server, to
 * read the cache (`queryClient.getQueryData(syncQueryKey(…))` returns a {@link SyncEntry}),
 * or to invalidate.
 */
export function syncQueryKey(tenant: string, schema: Schema<unknown>, id: string): SyncQueryKey {
  return ['fdb-live', tenant, schema.name, id]
}

/**
 * The query key of a record read by the app's own `queryFn`: apart from the gateway's data
 * under {@link syncQueryKey}, so components with and without a `queryFn` on one record
 * each get their own data. (Two different `queryFn`s on one record share this entry, as
 * any two TanStack queries with one key do.)
 */
export type OwnSyncQueryKey = readonly ['fdb-live', string, string, string, 'own']

/** Either kind of record query key. */
export type AnySyncQueryKey = SyncQueryKey | OwnSyncQueryKey

/** The {@link OwnSyncQueryKey} of a record. */
export function ownSyncQueryKey(
  tenant: string,
  schema: Schema<unknown>,
  id: string,
): OwnSyncQueryKey {
  return ['fdb-live', tenant, schema.name, id, 'own']
}

/** The identity of one subscription inside a client (also across tabs): schema and id. */
export function subscriptionKey(schema: string, id: string): string {
  // Ids may contain any printable character, so encode as JSON rather than joining.
  return JSON.stringify([schema, id])
}
