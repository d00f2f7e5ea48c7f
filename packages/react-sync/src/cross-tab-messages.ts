import { SyncError, isSyncErrorCode } from '@fdb-live/core'
import type { AnySubscription, CollectionEvent, StreamEvent } from './sync-events.js'
import type { SyncStatus } from './sync-status.js'
import type { TransportHost } from './transport.js'

/** An error as it crosses the BroadcastChannel (structured clone drops the class). */
export interface WireError {
  code: string | undefined
  message: string
}

/** What tabs say to each other on the channel. */
export type TabMessage =
  | { t: 'subs'; tab: string; subs: AnySubscription[] }
  | { t: 'bye'; tab: string }
  | { t: 'leader'; tab: string }
  | { t: 'event'; event: StreamEvent }
  /** A collection's state for one tab that joined it (see `cross-tab-lists.ts`). */
  | { t: 'replay'; tab: string; events: CollectionEvent[] }
  | { t: 'status'; status: SyncStatus; lastError: WireError | undefined }
  | { t: 'synced'; keys: string[] }
  | { t: 'opened'; keys: string[] }
  | { t: 'hello'; epoch: string }

/** What the leader and the follower share: the tab's identity and channel. */
export interface TabContext {
  readonly host: TransportHost
  readonly tab: string
  /** The lock and channel name of this gateway and tenant. */
  readonly name: string
  readonly locks: LockManager
  /** Aborted when the transport closes. */
  readonly stop: AbortSignal
  post(message: TabMessage): void
}

/** One side of the cross-tab transport: the leader or a follower. */
export interface TabRole {
  onMessage(message: TabMessage): void
  refresh(): void
  close(): void
}

/** The lock a tab holds for its lifetime, so the leader can tell when it is gone. */
export function tabLock(name: string, tab: string): string {
  return `${name}:tab:${tab}`
}

/** An error as it can cross the channel: its code (if any) and message. */
export function toWireError(error: unknown): WireError | undefined {
  if (error === undefined) return undefined
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined
  return {
    code: typeof code === 'string' ? code : undefined,
    message: error instanceof Error ? error.message : JSON.stringify(error),
  }
}

/** The error again: a `SyncError` when its code is one, else a plain `Error`. */
export function fromWireError(error: WireError | undefined): unknown {
  if (error === undefined) return undefined
  return isSyncErrorCode(error.code)
    ? new SyncError(error.code, error.message)
    : new Error(error.message)
}
