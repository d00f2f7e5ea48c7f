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

/** The identity of one subscription inside a client (also across tabs): schema and id. */
export function subscriptionKey(schema: string, id: string): string {
  // Ids may contain any printable character, so encode as JSON rather than joining.
  return JSON.stringify([schema, id])
}
