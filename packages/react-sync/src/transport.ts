import type { SyncStatus } from './sync-status.js'
import type { KeyEvent, Subscription } from './sync-events.js'

/**
 * What a transport needs from its client. A transport moves events from the gateway to the
 * client: directly (one stream per client) or through the tab that leads (cross-tab).
 */
export interface TransportHost {
  /** The client's records, each with the newest version it has as `since`. */
  subscriptions: () => Subscription[]
  deliver: (event: KeyEvent) => void
  opened: (keys: readonly string[]) => void
  synced: (keys: readonly string[]) => void
  status: (status: SyncStatus, lastError: unknown) => void
  /** The store epoch the client's versions belong to, sent with each stream request. */
  epoch: () => string | undefined
  /** A stream's `hello`: the store's epoch. */
  hello: (epoch: string) => void
}

/** A running transport. */
export interface Transport {
  /** The host's subscription set changed. */
  refresh(): void
  close(): void
}
