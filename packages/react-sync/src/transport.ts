import type { ListSnapshot } from './cross-tab-lists.js'
import type { SyncStatus } from './sync-status.js'
import type { AnySubscription, StreamEvent } from './sync-events.js'

/**
 * What a transport needs from its client. A transport moves events from the gateway to the
 * client: directly (one stream per client) or through the tab that leads (cross-tab).
 */
export interface TransportHost {
  /** The client's records and collections, each with the newest version it has as `since`. */
  subscriptions: () => AnySubscription[]
  deliver: (event: StreamEvent) => void
  opened: (keys: readonly string[]) => void
  synced: (keys: readonly string[]) => void
  status: (status: SyncStatus, lastError: unknown) => void
  /** The store epoch the client's versions belong to, sent with each stream request. */
  epoch: () => string | undefined
  /** A stream's `hello`: the store's epoch. */
  hello: (epoch: string) => void
  /** The committed members of a subscribed collection (a new cross-tab leader starts from them). */
  list?: ((key: string) => ListSnapshot | undefined) | undefined
}

/** A running transport. */
export interface Transport {
  /** The host's subscription set changed. */
  refresh(): void
  close(): void
}
