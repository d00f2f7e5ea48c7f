/**
 * One store watch per record, shared by every stream that subscribes to it.
 *
 * Lifecycle of one entry (one (tenant, schema, id); the phases are `Phase` in watch-entry.ts,
 * the transitions `WatchLoop` in watch-loop.ts, shared with the collection hub):
 *
 *             first subscribe
 *     (none) ────────────────► arming: Repo.readAndWatch (read + watch in ONE transaction)
 *                               │   ▲  ▲
 *        ok: the first state    │   │  │ timer
 *        settles `ready`; later │   │  └───────── backoff ◄── retryable error (RETRYABLE_CODES)
 *        states are emitted     │   │ fire           ▲        while arming or armed, or a
 *        only if newer          ▼   │                │        watch ended without a fire
 *                              armed ┴───────────────┘
 *
 *   any other error (too_many_watches, store_closed, internal…) → closed: during the first
 *     arm `ready` rejects (every subscriber's `initial`), later every listener gets `fail`.
 *     Except a re-armed watch that meets too_many_watches: backoff, up to
 *     REARM_BUDGET_RETRIES times in a row (watch-loop.ts).
 *   last subscriber leaves (any phase) → closed: watch cancelled, timer cleared, entry gone.
 *
 * A fire only means "go and look" (watches fire without a change and coalesce several),
 * so every fire re-reads and compares versions before anything reaches a stream. A
 * subscriber joining a watched record reads it once more (retried like the arm), since
 * the entry's last state may predate its arrival.
 */
import {
  STORE_BACKOFF,
  defineSchema,
  retrying,
  type BackoffOptions,
  type RecordState,
  type Repo,
  type Schema,
  type SyncError,
  type TenantRepo,
  type WatchedState,
} from '@fdb-live/core'
import type { Logger } from 'pino'
import { coalescedRead } from './coalesced-read.js'
import type { GatewayMetrics } from './metrics.js'
import { recordKeyString, type RecordKey } from './record-key.js'
import { ValueEvent } from './value-event.js'
import type { FailListener, Settle, WatchEntry } from './watch-entry.js'
import { WatchLoop } from './watch-loop.js'

/** Receives what a shared watch observes. */
export interface WatchListener extends FailListener {
  /** A state newer than the entry's previous one. */
  change(event: ValueEvent): void
}

/** One shared watch: one (tenant, schema, id). */
interface Entry extends WatchEntry<ValueEvent, WatchListener> {
  readonly key: RecordKey
  readonly tenant: TenantRepo
  readonly schema: Schema<unknown>
  /** The newest state observed; set once the first arm succeeded. */
  last: ValueEvent | undefined
}

/** One listener's hold on a shared watch. */
export interface HubSubscription {
  /**
   * The state to start from, read no earlier than the moment the shared watch was armed,
   * so every later write reaches `change`. Rejects with a {@link SyncError}.
   */
  readonly initial: Promise<ValueEvent>
  /** Stops listening; the store watch is cancelled when its last listener leaves. Idempotent. */
  release(): void
}

/** Options for {@link WatchHub}. */
export interface WatchHubOptions {
  repo: Repo
  metrics: GatewayMetrics
  logger: Logger
  /** Delays between retries of a failed arm or read. @default STORE_BACKOFF (50 ms … 5 s) */
  backoff?: BackoffOptions
}

/** The registry of shared store watches; see the state diagram at the top of this file. */
export class WatchHub {
  readonly #loop: WatchLoop<ValueEvent, WatchListener, Entry, WatchedState<unknown>>
  readonly #joinReads = new WeakMap<Entry, () => Promise<RecordState<unknown>>>()
  readonly #options: Required<WatchHubOptions>

  constructor(options: WatchHubOptions) {
    this.#options = { backoff: STORE_BACKOFF, ...options }
    this.#loop = new WatchLoop({
      metrics: this.#options.metrics,
      backoff: this.#options.backoff,
      readAndWatch: (entry) => entry.tenant.readAndWatch(entry.schema, entry.key.id),
      deliver: (entry, { state }, settle, firedAt) => this.#deliver(entry, state, settle, firedAt),
      countError: (entry, error) => this.#countError(entry, error),
    })
  }

  /** Store watches currently held. */
  get size(): number {
    return this.#loop.size
  }

  /** Adds `listener` to the record's shared watch, arming it if it is the first. */
  subscribe(key: RecordKey, listener: WatchListener): HubSubscription {
    return this.#loop.subscribe(
      recordKeyString(key),
      listener,
      (base) => ({
        ...base,
        key,
        tenant: this.#options.repo.tenant(key.tenant),
        schema: defineSchema(key.schema),
        last: undefined,
      }),
      (entry, released) => this.#joinRead(entry, released),
    )
  }

  /** Cancels every watch. Later subscriptions fail with `store_closed`. */
  close(): void {
    this.#loop.close()
  }

  /** armed, after a read: emit the state if newer, hand out the first state. */
  #deliver(
    entry: Entry,
    state: RecordState<unknown>,
    settle: Settle<ValueEvent> | undefined,
    firedAt: number | undefined,
  ): void {
    this.#observe(entry, state, firedAt)
    if (settle !== undefined && entry.last !== undefined) settle.resolve(entry.last)
  }

  #observe(entry: Entry, state: RecordState<unknown>, firedAt: number | undefined): void {
    const previous = entry.last
    const newer = previous === undefined || state.version > previous.version
    if (firedAt !== undefined) {
      this.#options.metrics.watchFires.inc({ result: newer ? 'changed' : 'unchanged' })
    }
    if (!newer) return
    const event = new ValueEvent(entry.key.schema, state, firedAt)
    entry.last = event
    if (previous === undefined) return // the first state is handed out through `ready`
    for (const listener of entry.listeners) listener.change(event)
  }

  /** The starting state of a subscriber that joins a watched record. */
  async #joinRead(entry: Entry, released: AbortSignal): Promise<ValueEvent> {
    let read = this.#joinReads.get(entry)
    if (read === undefined) {
      // Subscribers joining in the same tick (a burst of streams opening) share one read.
      read = coalescedRead(() => entry.tenant.getState(entry.schema, entry.key.id))
      this.#joinReads.set(entry, read)
    }
    const state = await retrying(read, {
      signal: released,
      backoff: this.#options.backoff,
      onRetry: (error) => this.#countError(entry, error),
    })
    const last = entry.last
    // Reuse the shared event (and its serialised frame) when nothing changed since.
    if (last !== undefined && last.version >= state.version) return last
    return new ValueEvent(entry.key.schema, state)
  }

  #countError(entry: Entry, error: SyncError): void {
    this.#options.metrics.watchErrors.inc({ code: error.code })
    const { tenant, schema, id } = entry.key
    const log = { tenant, schema, id, code: error.code, err: error.cause ?? error }
    if (error.code === 'too_many_watches') {
      this.#options.logger.error(log, 'store watch budget exhausted; subscription failed')
    } else {
      this.#options.logger.warn(log, 'store watch failed')
    }
  }
}
