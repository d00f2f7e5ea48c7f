import type { KvWatch, Schema, SyncError, TenantRepo } from '@fdb-live/core'
import type { RecordKey } from './record-key.js'
import type { ValueEvent } from './value-event.js'

/** Receives what a shared watch observes. */
export interface WatchListener {
  /** A state newer than the entry's previous one. */
  change(event: ValueEvent): void
  /** The shared watch failed for good; no further calls follow. */
  fail(error: SyncError): void
}

/** Settles an entry's first state (its `ready` promise). */
export interface Settle {
  resolve(event: ValueEvent): void
  reject(error: SyncError): void
}

/**
 * Where one entry is in its lifecycle (the diagram in watch-hub.ts). Each phase holds what
 * only it has: `settle` exists until the first state is known, so an `armed` entry has
 * always handed out its first state; only `armed` has a watch, only `backoff` a timer.
 */
export type Phase =
  /** `Repo.readAndWatch` is in flight. */
  | { readonly name: 'arming'; readonly settle: Settle | undefined }
  /** The watch is registered and the entry's `last` is current as of its read. */
  | { readonly name: 'armed'; readonly watch: KvWatch }
  /** Waiting to arm again, after a retryable error or a watch that ended without a fire. */
  | {
      readonly name: 'backoff'
      readonly timer: NodeJS.Timeout
      readonly settle: Settle | undefined
    }
  /** Released, or failed for good: no watch, no timer, gone from the hub. */
  | { readonly name: 'closed' }

/** One shared watch: one (tenant, schema, id). */
export interface Entry {
  readonly key: RecordKey
  readonly keyString: string
  readonly tenant: TenantRepo
  readonly schema: Schema<unknown>
  readonly listeners: Set<WatchListener>
  /** Settles with the first state, or rejects when the first arm fails for good. */
  readonly ready: Promise<ValueEvent>
  phase: Phase
  /** The newest state observed; set once the first arm succeeded. */
  last: ValueEvent | undefined
  /** Consecutive failures, for the backoff; reset when the watch is armed. */
  failures: number
  /** Re-arms in a row that met `too_many_watches` (REARM_BUDGET_RETRIES); reset by a fire. */
  budgetRetries: number
}

/** The `settle` a phase carries, if any. */
export function settleOf(phase: Phase): Settle | undefined {
  return phase.name === 'arming' || phase.name === 'backoff' ? phase.settle : undefined
}
