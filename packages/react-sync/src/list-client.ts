import type { QueryClient } from '@tanstack/react-query'
import type { SyncListEntry } from './cache-writer.js'
import type { ListSnapshot } from './cross-tab-lists.js'
import { applyListEvent } from './list-state.js'
import {
  applyCollectionEvent,
  createListSync,
  listEntryOf,
  noteListCacheWrite,
  type ListSync,
} from './list-sync.js'
import { listKey } from './query-key.js'
import { createSubscriptionSet } from './subscription-set.js'
import type { SyncKeyStatus } from './sync-client-types.js'
import type { CollectionEvent, CollectionSubscription, SyncWhere } from './sync-events.js'
import type { SyncStatus } from './sync-status.js'

/** What the collections of a client need from it. */
export interface ListClientOptions {
  tenant: string
  queryClient: QueryClient | undefined
  lingerMs: number
  batchDelayMs: number
  batchWindowMs: number
  /** Collections joined or left the set (the stream must be refreshed). */
  onChange: () => void
  /** These collections' status changed. */
  notify: (keys: string[]) => void
  /** The store epoch of the stream's last `hello`. */
  epoch: () => string | undefined
}

/**
 * The collections of one client (the records' counterpart is `sync-client.ts`'s map of
 * `RecordSync`): a subscription set of their own, whose keys never equal a record's
 * (`listKey`); the set's `id` is the `where` as JSON.
 */
export interface ListClient {
  /** The collections to stream, each from its last `collection-synced` version. */
  subscriptions(epoch: string | undefined): CollectionSubscription[]
  /** The store epoch changed: versions held order nothing now. */
  forgetVersions(): void
  /** A collection's committed members (a new cross-tab leader starts from them). */
  snapshot(key: string): ListSnapshot | undefined
  deliver(event: CollectionEvent): void
  /** A new stream carries this key: a cut-off batch is dropped, a failed one retried. */
  opened(key: string): void
  /** The collection's cache entry was written from outside the stream. */
  noteCacheWrite(schema: string, where: SyncWhere): void
  subscribe(
    schema: string,
    where: SyncWhere,
    onEvent: ((event: CollectionEvent) => void) | undefined,
  ): () => void
  load<T>(schema: string, where: SyncWhere, signal?: AbortSignal): Promise<SyncListEntry<T>>
  status(schema: string, where: SyncWhere, connection: SyncStatus): SyncKeyStatus
  clear(): void
}

/** Creates the collections of a client. */
export function createListClient(options: ListClientOptions): ListClient {
  const { queryClient } = options
  const lists = createSubscriptionSet<ListSync>({
    lingerMs: options.lingerMs,
    batchDelayMs: options.batchDelayMs,
    batchWindowMs: options.batchWindowMs,
    keyOf: (schema, where) => listKey(schema, JSON.parse(where) as SyncWhere),
    create: (entry) => {
      const where = JSON.parse(entry.id) as SyncWhere
      const queryKey = ['fdb-live', options.tenant, entry.schema, { list: where }] as const
      return createListSync(entry, where, queryKey, queryClient)
    },
    onChange: options.onChange,
  })
  const listOf = (schema: string, where: SyncWhere) => lists.get(listKey(schema, where))
  const add = (schema: string, where: SyncWhere) => lists.add(schema, JSON.stringify(where))

  return {
    subscriptions: (epoch) =>
      lists
        .entries()
        .filter((l) => !l.invalid)
        .map((l) => ({ schema: l.schema, where: l.where, since: l.state.version, epoch })),
    forgetVersions() {
      for (const list of lists.entries()) applyListEvent(list.state, { type: 'forget' })
    },
    snapshot(key) {
      const list = lists.get(key)
      const version = list?.state.version
      return list === undefined || version === undefined
        ? undefined
        : { members: list.state.sorted, version }
    },
    deliver(event) {
      const list = listOf(event.schema, event.where)
      if (list === undefined) return
      const commit = applyCollectionEvent(list, event, queryClient, options.tenant, options.epoch())
      if (commit !== undefined || event.type === 'collection-error') options.notify([list.key])
      for (const listener of list.listeners) listener(event)
    },
    opened(key) {
      const list = lists.get(key)
      if (list === undefined) return
      applyListEvent(list.state, { type: 'restart' })
      list.synced = false
      if (list.error !== undefined && !list.invalid) {
        list.error = undefined
        void queryClient?.invalidateQueries({ queryKey: list.queryKey, exact: true })
      }
    },
    noteCacheWrite(schema, where) {
      const list = listOf(schema, where)
      if (list !== undefined && queryClient !== undefined) {
        noteListCacheWrite(list, queryClient, options.epoch())
      }
    },
    subscribe(schema, where, onEvent) {
      const release = add(schema, where)
      const list = listOf(schema, where)
      if (list?.invalid === true && list.refs === 1) options.notify([list.key])
      if (onEvent === undefined || list === undefined) return release
      list.listeners.add(onEvent)
      return () => {
        list.listeners.delete(onEvent)
        release()
      }
    },
    load<T>(schema: string, where: SyncWhere, signal?: AbortSignal) {
      // Subscribed while loading: Suspense renders no effect until the promise settles.
      const release = add(schema, where)
      const list = listOf(schema, where)!
      const loaded = new Promise<void>((resolve, reject) => {
        if (list.error !== undefined) return reject(list.error)
        if (list.synced && list.state.version !== undefined) return resolve()
        const waiter = { resolve, reject }
        list.waiters.add(waiter)
        signal?.addEventListener('abort', () => {
          list.waiters.delete(waiter)
          reject(signal.reason as Error)
        })
      })
      return loaded.then(() => listEntryOf<T>(list, options.epoch())!).finally(release)
    },
    status(schema, where, connection) {
      const list = listOf(schema, where)
      if (list?.error !== undefined) return 'error'
      if (connection !== 'live') return connection
      return list?.synced === true ? 'live' : 'connecting'
    },
    clear: () => lists.clear(),
  }
}
