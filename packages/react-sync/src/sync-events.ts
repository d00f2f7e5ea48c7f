import type { Version } from '@fdb-live/core'

/** One subscription as sent to the gateway (docs/protocol.md, "Streams"). */
export interface Subscription {
  schema: string
  id: string
  /** The version the client already has; the gateway skips the initial value if it is current. */
  since?: Version | undefined
  /** The store epoch `since` belongs to (between tabs only; a request has one epoch). */
  epoch?: string | undefined
}

/** `event: value`: the record's state; `value` is `null` when it does not exist or was deleted. */
export interface ValueEvent {
  type: 'value'
  schema: string
  id: string
  version: Version
  value: unknown
}

/** `event: error`: one subscription failed and receives no further events on this stream. */
export interface KeyErrorEvent {
  type: 'error'
  schema: string
  id: string
  code: string
  message: string
}

/** The events that concern one record. */
export type KeyEvent = ValueEvent | KeyErrorEvent

/**
 * Which collection (docs/protocol.md, "Collections"): `null` for every record of the schema,
 * or one value of one declared index, e.g. `{ byList: 'inbox' }`.
 */
export type SyncWhere = Readonly<Record<string, string | number | boolean>> | null

/** One collection subscription as sent to the gateway: no `id`. */
export interface CollectionSubscription {
  schema: string
  where: SyncWhere
  id?: undefined
  /** The collection's last `collection-synced` version: the gateway sends only what changed. */
  since?: Version | undefined
  /** The store epoch `since` belongs to (between tabs only). */
  epoch?: string | undefined
}

/** Either kind of subscription. */
export type AnySubscription = Subscription | CollectionSubscription

/** `event: collection-reset`: drop the members held; the full member list follows. */
export interface CollectionResetEvent {
  type: 'collection-reset'
  schema: string
  where: SyncWhere
}

/** `event: collection-change`: a member joined, changed, or left (`value: null`). */
export interface CollectionChangeEvent {
  type: 'collection-change'
  schema: string
  where: SyncWhere
  id: string
  version: Version
  value: unknown
}

/** `event: collection-synced`: the batch received so far is complete at `version`. */
export interface CollectionSyncedEvent {
  type: 'collection-synced'
  schema: string
  where: SyncWhere
  version: Version
}

/** `event: error` without `id`: the collection's subscription failed. */
export interface CollectionErrorEvent {
  type: 'collection-error'
  schema: string
  where: SyncWhere
  code: string
  message: string
}

/** The events that concern one collection. */
export type CollectionEvent =
  CollectionResetEvent | CollectionChangeEvent | CollectionSyncedEvent | CollectionErrorEvent

/** Every event a stream delivers for a subscription. */
export type StreamEvent = KeyEvent | CollectionEvent

/** True for a collection's event. */
export function isCollectionEvent(event: StreamEvent): event is CollectionEvent {
  return event.type.startsWith('collection-')
}
