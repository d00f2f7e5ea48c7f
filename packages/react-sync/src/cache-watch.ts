import type { QueryCacheNotifyEvent, QueryClient } from '@tanstack/react-query'
import type { SyncWhere } from './sync-events.js'

/**
 * Calls `onSet(schema, id)` when a record's query of `tenant` gets data from outside a fetch
 * in flight: created with data (hydrate), its state set (hydrate of an existing query), or
 * data written (`setQueryData`, a fetch's success). One cache listener per client, so its
 * cost does not grow with the number of components.
 */
export function watchCacheWrites(
  queryClient: QueryClient,
  tenant: string,
  onSet: (schema: string, id: string, own: boolean) => void,
  onListSet?: (schema: string, where: SyncWhere) => void,
): () => void {
  return queryClient.getQueryCache().subscribe((event: QueryCacheNotifyEvent) => {
    const set =
      (event.type === 'added' && event.query.state.data !== undefined) ||
      (event.type === 'updated' &&
        (event.action.type === 'setState' || event.action.type === 'success'))
    if (!set) return
    const [scope, keyTenant, schema, id, own] = event.query.queryKey as readonly unknown[]
    if (scope !== 'fdb-live' || keyTenant !== tenant) return
    if (typeof schema !== 'string') return
    if (typeof id === 'string') onSet(schema, id, own === 'own')
    else if (typeof id === 'object' && id !== null && 'list' in id) {
      onListSet?.(schema, (id as { list: SyncWhere }).list)
    }
  })
}
