import {
  SyncError,
  assertId,
  assertSchemaName,
  isSyncError,
  isSyncErrorCode,
  type Version,
} from '@fdb-live/core'
import type { QueryClient } from '@tanstack/react-query'
import { writeEntry, writeError, type SyncEntry } from './cache-writer.js'
import { createConnection } from './connection.js'
import type { SyncStatus } from './sync-status.js'
import { canShareAcrossTabs, createCrossTabTransport, type CrossTabOptions } from './cross-tab.js'
import { fetchRecord, type GatewayHttp, type GetToken } from './gateway-http.js'
import { subscriptionKey, type SyncQueryKey } from './query-key.js'
import { createSubscriptionSet } from './subscription-set.js'
import type { KeyEvent } from './sync-events.js'
import type { Transport, TransportHost } from './transport.js'
import { isOlder, newerVersion } from './version-order.js'

/** Options for {@link createSyncClient}. */
export interface SyncClientOptions {
  /** The gateway's base URL, e.g. `https://sync.example.com` (routes are under `/v1`). */
  gatewayUrl: string
  /** The tenant whose records this client reads. */
  tenant: string
  /**
   * The TanStack Query cache to keep current. Without it the client only calls the
   * `onEvent` listeners of {@link SyncClient.subscribe}.
   */
  queryClient?: QueryClient | undefined
  /** Returns a bearer token, sent as `Authorization: Bearer <token>` on every request. */
  getToken?: GetToken | undefined
  /** @default globalThis.fetch */
  fetch?: typeof fetch | undefined
  /**
   * Share one stream among all tabs of the origin (Web Locks + BroadcastChannel): browsers
   * allow 6 HTTP/1.1 connections per origin across all tabs. Ignored where either API is
   * missing (SSR, jsdom, old browsers): the client then opens its own stream.
   * @default true
   */
  crossTab?: boolean | CrossTabOptions | undefined
  /** How long a record stays subscribed after its last component unmounts. @default 1500 */
  lingerMs?: number | undefined
  /** How long subscription changes are gathered before the stream is reopened. @default 10 */
  batchDelayMs?: number | undefined
  /** First reconnect delay; doubles per failure (with jitter). @default the gateway's `retry:` hint, else 1000 */
  reconnectBaseDelayMs?: number | undefined
  /** @default 30000 */
  reconnectMaxDelayMs?: number | undefined
  /** A stream silent (no heartbeat) for this long is reopened. @default 45000 */
  idleTimeoutMs?: number | undefined
}

/** A connection snapshot for {@link useSyncStatus}. */
export interface SyncStatusSnapshot {
  readonly status: SyncStatus
  /** The most recent connection error (kept after recovery), or `undefined`. */
  readonly lastError: unknown
}

/** The sync state of one record: the connection's status, or `error` when its subscription failed. */
export type SyncKeyStatus = SyncStatus | 'error'

/** Options for {@link SyncClient.subscribe}. */
export interface SubscribeOptions {
  /**
   * Invalidate the record's query on change instead of writing the pushed value (for queries
   * whose data comes from the app's own `queryFn`). @default false
   */
  invalidate?: boolean | undefined
  /** Called with every event for this record (for use without TanStack Query). */
  onEvent?: ((event: KeyEvent) => void) | undefined
}

/**
 * Keeps records live over one stream: a reference-counted subscription set, reconnect with
 * backoff, resume with `since`, and (with a `queryClient`) version-checked cache writes.
 */
export interface SyncClient {
  readonly gatewayUrl: string
  readonly tenant: string
  readonly queryClient: QueryClient | undefined
  /** Keeps the record live until the returned function is called (then lingers briefly). */
  subscribe(schema: string, id: string, options?: SubscribeOptions): () => void
  /** Reads the record from the gateway (the default `queryFn`). */
  fetchRecord<T>(schema: string, id: string, signal?: AbortSignal): Promise<SyncEntry<T>>
  /** The newest version the client has seen for a subscribed record. */
  knownVersion(schema: string, id: string): Version | undefined
  /** The current status; the same object until something changes. */
  getStatus: () => SyncStatusSnapshot
  getKeyStatus: (schema: string, id: string) => SyncKeyStatus
  /** Listens to status changes (of the connection or of any record). */
  onStatusChange: (listener: () => void) => () => void
  /** Closes the stream and forgets every subscription. A later `subscribe` starts again. */
  close(): void
}

/** Creates a client. Nothing connects until the first {@link SyncClient.subscribe}. */
export function createSyncClient(options: SyncClientOptions): SyncClient {
  const http: GatewayHttp = {
    gatewayUrl: options.gatewayUrl,
    tenant: options.tenant,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    getToken: options.getToken,
  }
  const queryClient = options.queryClient
  const listeners = new Map<string, Set<(event: KeyEvent) => void>>()
  const statusListeners = new Set<() => void>()
  // Newest version seen on the stream per subscribed record; with the cache, the `since`.
  const versions = new Map<string, Version>()
  const errors = new Map<string, SyncError>()
  // Records whose schema or id breaks docs/protocol.md's rules, with the gateway's error.
  const invalid = new Map<string, SyncError>()
  const synced = new Set<string>()
  let snapshot: SyncStatusSnapshot = { status: 'connecting', lastError: undefined }
  let transport: Transport | undefined

  const notify = (): void => {
    for (const listener of statusListeners) listener()
  }
  const queryKey = (schema: string, id: string): SyncQueryKey => [
    'fdb-live',
    options.tenant,
    schema,
    id,
  ]
  const cachedVersion = (schema: string, id: string): Version | undefined =>
    queryClient?.getQueryData<SyncEntry<unknown>>(queryKey(schema, id))?.version

  const set = createSubscriptionSet({
    lingerMs: options.lingerMs ?? 1500,
    batchDelayMs: options.batchDelayMs ?? 10,
    onChange() {
      const present = new Set(set.entries().map((e) => e.key))
      for (const map of [versions, errors, listeners, invalid]) {
        for (const key of map.keys()) if (!present.has(key)) map.delete(key)
      }
      for (const key of synced) if (!present.has(key)) synced.delete(key)
      transport ??= createTransport(host, http, options)
      transport.refresh()
    },
  })

  const host: TransportHost = {
    // A record the gateway would refuse stays out of the stream: one bad id must not fail
    // the request (and so every other record's updates) over and over.
    subscriptions: () =>
      set
        .entries()
        .filter((e) => !invalid.has(e.key))
        .map((e) => ({
          schema: e.schema,
          id: e.id,
          since: newerVersion(versions.get(e.key), cachedVersion(e.schema, e.id)),
        })),
    deliver(event) {
      const key = subscriptionKey(event.schema, event.id)
      const entry = set.get(key)
      if (entry === undefined) return
      if (event.type === 'value') {
        if (isOlder(event.version, versions.get(key))) return
        versions.set(key, event.version)
        if (queryClient !== undefined) {
          const qk = queryKey(event.schema, event.id)
          if (entry.invalidators > 0) {
            const cached = cachedVersion(event.schema, event.id)
            if (cached === undefined || cached < event.version) {
              void queryClient.invalidateQueries({ queryKey: qk, exact: true })
            }
          } else {
            writeEntry(queryClient, qk, { value: event.value, version: event.version })
          }
        }
      } else {
        const code = isSyncErrorCode(event.code) ? event.code : 'internal'
        const error = new SyncError(code, event.message || `Subscription failed: ${event.code}.`)
        errors.set(key, error)
        if (queryClient !== undefined) {
          writeError(queryClient, queryKey(event.schema, event.id), error).catch(() => {})
        }
        notify()
      }
      for (const listener of listeners.get(key) ?? []) listener(event)
    },
    opened(keys) {
      // The new stream retries records whose subscription failed on an earlier one.
      let changed = false
      for (const key of keys) {
        if (!errors.delete(key)) continue
        changed = true
        const entry = set.get(key)
        if (entry !== undefined && queryClient !== undefined) {
          void queryClient.invalidateQueries({
            queryKey: queryKey(entry.schema, entry.id),
            exact: true,
          })
        }
      }
      if (changed) notify()
    },
    synced(keys) {
      for (const key of keys) if (set.get(key) !== undefined) synced.add(key)
      notify()
    },
    status(status, lastError) {
      if (status === snapshot.status && lastError === snapshot.lastError) return
      snapshot = { status, lastError }
      notify()
    },
  }

  return {
    gatewayUrl: options.gatewayUrl,
    tenant: options.tenant,
    queryClient,
    subscribe(schema, id, { invalidate, onEvent } = {}) {
      const key = subscriptionKey(schema, id)
      const refused = nameError(schema, id)
      if (refused !== undefined && !invalid.has(key)) {
        invalid.set(key, refused)
        notify()
      }
      const release = set.add(schema, id, { invalidate: invalidate ?? false })
      if (onEvent === undefined) return release
      let keyListeners = listeners.get(key)
      if (keyListeners === undefined) listeners.set(key, (keyListeners = new Set()))
      const own = keyListeners
      own.add(onEvent)
      return () => {
        own.delete(onEvent)
        release()
      }
    },
    fetchRecord: (schema, id, signal) => fetchRecord(http, schema, id, signal),
    knownVersion: (schema, id) => versions.get(subscriptionKey(schema, id)),
    getStatus: () => snapshot,
    getKeyStatus(schema, id) {
      const key = subscriptionKey(schema, id)
      if (errors.has(key) || invalid.has(key)) return 'error'
      if (snapshot.status !== 'live') return snapshot.status
      return synced.has(key) ? 'live' : 'connecting'
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
      set.clear()
      versions.clear()
      errors.clear()
      invalid.clear()
      synced.clear()
      listeners.clear()
      host.status('connecting', undefined)
    },
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

function createTransport(
  host: TransportHost,
  http: GatewayHttp,
  options: SyncClientOptions,
): Transport {
  const connectionOptions = {
    http,
    reconnectBaseDelayMs: options.reconnectBaseDelayMs,
    reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 30_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 45_000,
  }
  const crossTab = options.crossTab ?? true
  if (crossTab !== false) {
    const crossTabOptions = crossTab === true ? {} : crossTab
    if (canShareAcrossTabs(crossTabOptions)) {
      return createCrossTabTransport(host, connectionOptions, crossTabOptions)
    }
  }
  const connection = createConnection({
    ...connectionOptions,
    subscriptions: host.subscriptions,
    onEvent: host.deliver,
    onOpened: host.opened,
    onSynced: host.synced,
    onStatus: host.status,
  })
  return connection
}
