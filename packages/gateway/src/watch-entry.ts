import type { KvWatch, SyncError } from '@fdb-live/core'

/** What every listener of a shared watch can be told: the watch failed for good. */
export interface FailListener {
  /** The shared watch failed for good; no further calls follow. */
  fail(error: SyncError): void
}

/** Settles an entry's first state (its `ready` promise). */
export interface Settle<T> {
  resolve(first: T): void
  reject(error: SyncError): void
}

/**
 * Where one entry is in its lifecycle (the diagram in watch-loop.ts). Each phase holds what
 * only it has: `settle` exists until the first state is known, so an `armed` entry has
 * always handed out its first state; only `armed` has a watch, only `backoff` a timer.
 */
export type Phase<T> =
  /** The read-and-watch transaction is in flight. */
  | { readonly name: 'arming'; readonly settle: Settle<T> | undefined }
  /** The watch is registered and the entry is current as of its read. */
  | { readonly name: 'armed'; readonly watch: KvWatch }
  /** Waiting to arm again, after a retryable error or a watch that ended without a fire. */
  | {
      readonly name: 'backoff'
      readonly timer: NodeJS.Timeout
      readonly settle: Settle<T> | undefined
    }
  /** Released, or failed for good: no watch, no timer, gone from the hub. */
  | { readonly name: 'closed' }

/** What the lifecycle keeps of one shared watch; each hub adds what it reads. */
export interface WatchEntry<T, L extends FailListener> {
  readonly keyString: string
  readonly listeners: Set<L>
  /** Settles with the first state, or rejects when the first arm fails for good. */
  readonly ready: Promise<T>
  phase: Phase<T>
  /** Consecutive failures, for the backoff; reset when the watch is armed. */
  failures: number
  /**
   * Re-arms in a row that met `too_many_watches` (at most REARM_BUDGET_RETRIES,
   * watch-loop.ts); reset by a fire.
   */
  budgetRetries: number
}

/** The `settle` a phase carries, if any. */
export function settleOf<T>(phase: Phase<T>): Settle<T> | undefined {
  return phase.name === 'arming' || phase.name === 'backoff' ? phase.settle : undefined
}
