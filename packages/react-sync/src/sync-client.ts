import { SyncError, assertId, assertSchemaName, isSyncError } from '@fdb-live/core'
import type { SyncEntry } from './cache-writer.js'
import { watchCacheWrites } from './cache-watch.js'
import { fetchRecord, type GatewayHttp } from './gateway-http.js'
import { listKey, subscriptionKey } from './query-key.js'
import { applyListEvent } from './list-state.js'
import {
  applyCollectionEvent,
  createListSync,
  listEntryOf,
  noteListCacheWrite,
  type ListSync,
} from './list-sync.js'
import { isCollectionEvent, type AnySubscription, type SyncWhere } from './sync-events.js'
import {
  applyError,
  applyValue,
  createRecordSync,
  errorOfEvent,
  forgetVersions,
  noteCacheWrite,
  retryAfterError,
  type RecordSync,
} from './record-sync.js'
import { createSubscriptionSet } from './subscription-set.js'
import type { SyncClient, SyncClientOptions, SyncStatusSnapshot } from './sync-client-types.js'
import { createTransport } from './create-transport.js'
import { createTokenSource } from './token-source.js'
import type { Transport, TransportHost } from './transport.js'
import { requestEpoch, sinceFor } from './store-epoch.js'

export type {
  SubscribeOptions,
  SyncClient,
  SyncClientOptions,
  SyncKeyStatus,
  SyncStatusSnapshot,
} from './sync-client-types.js'

/** Creates a client. Nothing connects until the first {@link SyncClient.subscribe}. */
export function createSyncClient(options: SyncClientOptions): SyncClient {
  const http: GatewayHttp = {
    gatewayUrl: options.gatewayUrl,
    tenant: options.tenant,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    tokens: options.getToken === undefined ? undefined : createTokenSource(options.getToken),
  }
  const queryClient = options.queryClient
  const statusListeners = new Set<() => void>()
  let snapshot: SyncStatusSnapshot = { status: 'connecting', lastError: undefined }
  let transport: Transport | undefined
  let unwatchCache: (() => void) | undefined

  // Per-record listeners (one per hook), so that a record's change costs O(1).
  const keyListeners = new Map<string, Set<() => void>>()
  /** Notifies the listeners of `keys`, or of every record when the connection changed. */
  const notify = (keys?: Iterable<string>): void => {
    for (const listener of statusListeners) listener()
    if (keys === undefined) {
      for (const set of keyListeners.values()) for (const listener of set) listener()
    } else {
      for (const key of keys) for (const listener of keyListeners.get(key) ?? []) listener()
    }
  }

  // The one map of per-record state: a record's state leaves with the record.
  const records = createSubscriptionSet<RecordSync>({
    lingerMs: options.lingerMs ?? 1500,
    batchDelayMs: options.batchDelayMs ?? 10,
    batchWindowMs: options.batchWindowMs ?? 250,
    create: (entry) =>
      createRecordSync(
        entry,
        {
          queryKey: ['fdb-live', options.tenant, entry.schema, entry.id],
          ownQueryKey: ['fdb-live', options.tenant, entry.schema, entry.id, 'own'],
        },
        nameError(entry.schema, entry.id),
        queryClient,
      ),
    onChange() {
      transport ??= createTransport(host, http, options)
      transport.refresh()
    },
  })

  // The collections, in a set of their own: their key is never a record's (`listKey`), and
  // the set's `id` is the `where` as JSON.
  const lists = createSubscriptionSet<ListSync>({
    lingerMs: options.lingerMs ?? 1500,
    batchDelayMs: options.batchDelayMs ?? 10,
    batchWindowMs: options.batchWindowMs ?? 250,
    keyOf: (schema, where) => listKey(schema, JSON.parse(where) as SyncWhere),
    create: (entry) => {
      const where = JSON.parse(entry.id) as SyncWhere
      const queryKey = ['fdb-live', options.tenant, entry.schema, { list: where }] as const
      return createListSync(entry, where, queryKey, queryClient)
    },
    onChange() {
      transport ??= createTransport(host, http, options)
      transport.refresh()
    },
  })
  const listOf = (schema: string, where: SyncWhere) => lists.get(listKey(schema, where))

  // The store epoch of the stream's last `hello`.
  let streamEpoch: string | undefined
  const cachedEntry = (r: RecordSync) => queryClient?.getQueryData<SyncEntry<unknown>>(r.queryKey)
  const cached = () => records.entries().map(cachedEntry)

  const host: TransportHost = {
    subscriptions() {
      const live = records.entries().filter((r) => !r.invalid)
      const epoch = requestEpoch(streamEpoch, cached())
      const subs: AnySubscription[] = live.map((r) => ({
        schema: r.schema,
        id: r.id,
        since: sinceFor(r.version, cachedEntry(r), epoch),
        epoch,
      }))
      for (const l of lists.entries().filter((l) => !l.invalid)) {
        subs.push({ schema: l.schema, where: l.where, since: l.state.version, epoch })
      }
      return subs
    },
    epoch: () => requestEpoch(streamEpoch, cached()),
    hello(epoch) {
      if (epoch === streamEpoch) return
      const reset = streamEpoch !== undefined
      streamEpoch = epoch
      if (!reset) return
      for (const record of records.entries()) forgetVersions(record)
      for (const list of lists.entries()) applyListEvent(list.state, { type: 'forget' })
    },
    list(key) {
      const list = lists.get(key)
      const version = list?.state.version
      return list === undefined || version === undefined
        ? undefined
        : { members: list.state.sorted, version }
    },
    deliver(event) {
      if (isCollectionEvent(event)) {
        const list = listOf(event.schema, event.where)
        if (list === undefined) return
        const commit = applyCollectionEvent(list, event, queryClient, options.tenant, streamEpoch)
        if (commit !== undefined || event.type === 'collection-error') notify([list.key])
        for (const listener of list.listeners) listener(event)
        return
      }
      const record = records.get(subscriptionKey(event.schema, event.id))
      if (record === undefined) return
      if (event.type === 'value') {
        applyValue(record, event, queryClient, streamEpoch)
      } else {
        applyError(record, errorOfEvent(event), queryClient)
        notify([record.key])
      }
      for (const listener of record.listeners) listener(event)
    },
    opened(keys) {
      for (const key of keys) {
        const list = lists.get(key)
        if (list === undefined) continue
        applyListEvent(list.state, { type: 'restart' })
        list.synced = false
        if (list.error !== undefined && !list.invalid) {
          list.error = undefined
          void queryClient?.invalidateQueries({ queryKey: list.queryKey, exact: true })
        }
      }
      const retried = keys.filter((key) => {
        const record = records.get(key)
        return record !== undefined && retryAfterError(record, queryClient)
      })
      if (retried.length > 0) notify(retried)
    },
    synced(keys) {
      for (const key of keys) {
        const record = records.get(key)
        if (record !== undefined) record.synced = true
      }
      notify(keys)
    },
    status(status, lastError) {
      if (status === snapshot.status && lastError === snapshot.lastError) return
      snapshot = { status, lastError }
      notify()
    },
  }

  // One cache listener per client: writes from outside the stream (fetch, hydrate).
  const watchCache = (): void => {
    if (queryClient === undefined) return
    unwatchCache ??= watchCacheWrites(
      queryClient,
      options.tenant,
      (s, i, own) => {
        const record = records.get(subscriptionKey(s, i))
        if (record !== undefined) noteCacheWrite(record, queryClient, own, streamEpoch)
      },
      (s, where) => {
        const list = listOf(s, where)
        if (list !== undefined) noteListCacheWrite(list, queryClient, streamEpoch)
      },
    )
  }

  const client: SyncClient = {
    gatewayUrl: options.gatewayUrl,
    tenant: options.tenant,
    queryClient,
    subscribe(schema, id, { invalidate, onEvent } = {}) {
      watchCache()
      const release = records.add(schema, id, { invalidate: invalidate ?? false })
      const record = records.get(subscriptionKey(schema, id))
      if (record?.invalid === true && record.refs === 1) notify([record.key])
      if (onEvent === undefined || record === undefined) return release
      record.listeners.add(onEvent)
      return () => {
        record.listeners.delete(onEvent)
        release()
      }
    },
    subscribeList(schema, where, { onEvent } = {}) {
      watchCache()
      const release = lists.add(schema, JSON.stringify(where))
      const list = listOf(schema, where)
      if (list?.invalid === true && list.refs === 1) notify([list.key])
      if (onEvent === undefined || list === undefined) return release
      list.listeners.add(onEvent)
      return () => {
        list.listeners.delete(onEvent)
        release()
      }
    },
    loadList(schema, where, signal) {
      const release = lists.add(schema, JSON.stringify(where))
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
      return loaded.then(() => listEntryOf<never>(list, streamEpoch)!).finally(release)
    },
    getListStatus(schema, where) {
      const list = listOf(schema, where)
      if (list?.error !== undefined) return 'error'
      if (snapshot.status !== 'live') return snapshot.status
      return list?.synced === true ? 'live' : 'connecting'
    },
    onListStatusChange(schema, where, listener) {
      return listen(listKey(schema, where), listener)
    },
    fetchRecord: (schema, id, signal) => fetchRecord(http, schema, id, signal),
    knownVersion: (schema, id) => records.get(subscriptionKey(schema, id))?.version,
    knownEpoch: () => streamEpoch,
    getStatus: () => snapshot,
    getKeyStatus(schema, id) {
      const record = records.get(subscriptionKey(schema, id))
      if (record?.error !== undefined) return 'error'
      if (snapshot.status !== 'live') return snapshot.status
      return record?.synced === true ? 'live' : 'connecting'
    },
    onKeyStatusChange(schema, id, listener) {
      return listen(subscriptionKey(schema, id), listener)
    },
    onStatusChange(listener) {
      statusListeners.add(listener)
      return () => {
        statusListeners.delete(listener)
      }
    },
    close() {
      transport?.close()
      transport = undefined
      unwatchCache?.()
      unwatchCache = undefined
      records.clear()
      lists.clear()
      streamEpoch = undefined
      host.status('connecting', undefined)
    },
  }
  return client

  function listen(key: string, listener: () => void): () => void {
    let set = keyListeners.get(key)
    if (set === undefined) keyListeners.set(key, (set = new Set()))
    const own = set
    own.add(listener)
    return () => {
      own.delete(listener)
      if (own.size === 0 && keyListeners.get(key) === own) keyListeners.delete(key)
    }
  }
}

/** The error the gateway would answer for this schema and id, if any (checked locally). */
function nameError(schema: string, id: string): SyncError | undefined {
  try {
    assertSchemaName(schema)
    assertId(id)
    return undefined
  } catch (error) {
    return isSyncError(error) ? error : new SyncError('invalid_request', String(error))
  }
}
