import { SyncError, assertId, assertSchemaName, isSyncError } from '@fdb-live/core'
import type { SyncEntry } from './cache-writer.js'
import { watchCacheWrites } from './cache-watch.js'
import { fetchRecord, type GatewayHttp } from './gateway-http.js'
import { createListClient } from './list-client.js'
import { listKey, subscriptionKey } from './query-key.js'
import { isCollectionEvent, type AnySubscription } from './sync-events.js'
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

  // The collections (`list-client.ts`), on the same stream.
  const lists = createListClient({
    tenant: options.tenant,
    queryClient,
    lingerMs: options.lingerMs ?? 1500,
    batchDelayMs: options.batchDelayMs ?? 10,
    batchWindowMs: options.batchWindowMs ?? 250,
    onChange() {
      transport ??= createTransport(host, http, options)
      transport.refresh()
    },
    notify: (keys) => notify(keys),
    epoch: () => streamEpoch,
  })

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
      return [...subs, ...lists.subscriptions(epoch)]
    },
    epoch: () => requestEpoch(streamEpoch, cached()),
    hello(epoch) {
      if (epoch === streamEpoch) return
      const reset = streamEpoch !== undefined
      streamEpoch = epoch
      if (!reset) return
      for (const record of records.entries()) forgetVersions(record)
      lists.forgetVersions()
    },
    list: (key) => lists.snapshot(key),
    deliver(event) {
      if (isCollectionEvent(event)) return lists.deliver(event)
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
      for (const key of keys) lists.opened(key)
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
      (s, where) => lists.noteCacheWrite(s, where),
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
      return lists.subscribe(schema, where, onEvent)
    },
    loadList: (schema, where, signal) => lists.load(schema, where, signal),
    getListStatus: (schema, where) => lists.status(schema, where, snapshot.status),
    onListStatusChange: (schema, where, listener) => listen(listKey(schema, where), listener),
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
