import type { Schema } from '@fdb-live/core'
import type { AnySubscription, SyncWhere } from './sync-events.js'

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

/**
 * The TanStack Query key of a collection: `['fdb-live', tenant, schema.name, { list: where }]`
 * (`where` is `null` for the whole schema). The last element is an object, so it can never
 * equal a record's key, and invalidating `['fdb-live', tenant, schema.name]` covers both.
 */
export type SyncListQueryKey = readonly ['fdb-live', string, string, { readonly list: SyncWhere }]

/** The {@link SyncListQueryKey} of a collection. */
export function syncListQueryKey(
  tenant: string,
  schema: Schema<unknown>,
  where: SyncWhere = null,
): SyncListQueryKey {
  return ['fdb-live', tenant, schema.name, { list: where }]
}

/**
 * The identity of one collection subscription inside a client (and across tabs). A record's
 * key has a string in second place; a collection's has `null` or an `[index, value]` pair,
 * so the two never collide, whatever the id.
 */
export function listKey(schema: string, where: SyncWhere): string {
  // `{}` is the whole schema too (docs/protocol.md), as the gateway's events say: `null`.
  const entries = Object.entries(where ?? {})
  return JSON.stringify([schema, entries.length === 0 ? null : entries])
}

/** The key of either kind of subscription. */
export function keyOf(sub: AnySubscription): string {
  return sub.id === undefined ? listKey(sub.schema, sub.where) : subscriptionKey(sub.schema, sub.id)
}
