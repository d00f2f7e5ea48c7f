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
