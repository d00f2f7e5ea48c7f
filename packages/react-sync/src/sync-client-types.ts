import type { Version } from '@fdb-live/core'
import type { QueryClient } from '@tanstack/react-query'
import type { SyncEntry } from './cache-writer.js'
import type { CrossTabOptions } from './cross-tab.js'
import type { GetToken } from './gateway-http.js'
import type { SyncListEntry } from './cache-writer.js'
import type { CollectionEvent, KeyEvent, SyncWhere } from './sync-events.js'
import type { SyncStatus } from './sync-status.js'

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
  /**
   * Returns a bearer token, sent as `Authorization: Bearer <token>` on every request. Called
   * with `{ refresh: true }` when the gateway refused the last token (401) or it expired
   * during a stream (`token_expired`): return a new one then.
   */
  getToken?: GetToken | undefined
  /**
   * Which tabs may share one stream (cross-tab): only tabs with the same key. Give one when
   * the identity is not in the token's `sub` (or the token is opaque).
   * @default the `sub` of the token `getToken` returns (decoded, not verified); without
   * `getToken`, one key for the whole origin; a token without `sub`: no sharing
   */
  shareKey?: string | undefined
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
  /**
   * After a reopen, further changes (ids that change, records whose linger expires) are
   * gathered until this much time has passed: one reopen per window, not one per change.
   * Values show at once anyway (the record is fetched); only its liveness waits. @default 250
   */
  batchWindowMs?: number | undefined
  /** First reconnect delay; doubles per failure (with jitter). @default the gateway's `retry:` hint, else 1000 */
  reconnectBaseDelayMs?: number | undefined
  /** @default 30000 */
  reconnectMaxDelayMs?: number | undefined
  /**
   * The most records one stream carries: a larger set is split over several streams. Match
   * the gateway's `maxSubscriptionsPerStream`; a gateway that refuses a stream anyway
   * (`too_many_subscriptions`) puts its records in the error state. @default 1000
   */
  maxSubscriptionsPerStream?: number | undefined
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
  /** The store epoch of the stream's last `hello` (docs/protocol.md), if any. */
  knownEpoch(): string | undefined
  /** The current status; the same object until something changes. */
  getStatus: () => SyncStatusSnapshot
  getKeyStatus: (schema: string, id: string) => SyncKeyStatus
  /** Listens to status changes (of the connection or of any record). */
  onStatusChange: (listener: () => void) => () => void
  /** Listens to changes of one record's {@link SyncClient.getKeyStatus} only. */
  onKeyStatusChange: (schema: string, id: string, listener: () => void) => () => void
  /**
   * Keeps a collection live (docs/protocol.md, "Collections") until the returned function is
   * called (then lingers briefly). With a `queryClient`, each committed batch is written to
   * the collection's entry (`syncListQueryKey`) and each member to its record's entry.
   */
  subscribeList(
    schema: string,
    where: SyncWhere,
    options?: { onEvent?: ((event: CollectionEvent) => void) | undefined },
  ): () => void
  /**
   * The collection's entry once its first batch has arrived on the stream (there is no
   * list read outside the stream): subscribes while waiting. Rejects with the collection's
   * `SyncError` (e.g. `collection_too_large`, `forbidden`).
   */
  loadList<T>(schema: string, where: SyncWhere, signal?: AbortSignal): Promise<SyncListEntry<T>>
  /** The sync state of a subscribed collection, as {@link SyncClient.getKeyStatus} for a record. */
  getListStatus(schema: string, where: SyncWhere): SyncKeyStatus
  /** Listens to changes of one collection's {@link SyncClient.getListStatus}. */
  onListStatusChange(schema: string, where: SyncWhere, listener: () => void): () => void
  /** Closes the stream and forgets every subscription. A later `subscribe` starts again. */
  close(): void
}
