/**
 * One store watch per record, shared by every stream that subscribes to it.
 *
 * Lifecycle of one entry (one (tenant, schema, id); the phases are `Phase` in watch-entry.ts):
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
 *     REARM_BUDGET_RETRIES times in a row (see there).
 *   last subscriber leaves (any phase) → closed: watch cancelled, timer cleared, entry gone.
 *
 * A fire only means "go and look" (watches fire without a change and coalesce several),
 * so every fire re-reads and compares versions before anything reaches a stream. A
 * subscriber joining a watched record reads it once more (retried like the arm), since
 * the entry's last state may predate its arrival.
 */
import {
  STORE_BACKOFF,
  SyncError,
  backoffDelayMs,
  defineSchema,
  retrying,
  toSyncError,
  type BackoffOptions,
  type KvWatch,
  type RecordState,
  type Repo,
} from '@fdb-live/core'
import type { Logger } from 'pino'
import { coalescedRead } from './coalesced-read.js'
import type { GatewayMetrics } from './metrics.js'
import { recordKeyString, type RecordKey } from './record-key.js'
import { ValueEvent } from './value-event.js'
import { settleOf, type Entry, type Settle, type WatchListener } from './watch-entry.js'

export type { WatchListener } from './watch-entry.js'

/**
 * How often in a row a re-armed watch may meet `too_many_watches` before its subscribers
 * are failed. The entry held a watch a moment before, so the budget had room for it:
 * FoundationDB can report 1032 below the limit (a watch slot not given back yet; the
 * libfdb_c test double injects it), and that passes. A budget that stays full does not,
 * and is reported after these tries (≈ 0.75 s with the default backoff). A first arm is
 * not retried: a subscription over the budget is told at once (docs/protocol.md).
 */
export const REARM_BUDGET_RETRIES = 4

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
  readonly #entries = new Map<string, Entry>()
  readonly #joinReads = new WeakMap<Entry, () => Promise<RecordState<unknown>>>()
  readonly #options: Required<WatchHubOptions>
  #closed = false

  constructor(options: WatchHubOptions) {
    this.#options = { backoff: STORE_BACKOFF, ...options }
  }

  /** Store watches currently held. */
  get size(): number {
    return this.#entries.size
  }

  /** Adds `listener` to the record's shared watch, arming it if it is the first. */
  subscribe(key: RecordKey, listener: WatchListener): HubSubscription {
    if (this.#closed) {
      const initial = Promise.reject(new SyncError('store_closed', 'The gateway is shutting down.'))
      return { initial, release: () => {} }
    }
    const keyString = recordKeyString(key)
    const existing = this.#entries.get(keyString)
    const entry = existing ?? this.#create(key, keyString)
    entry.listeners.add(listener)
    const released = new AbortController()
    const initial =
      existing === undefined ? entry.ready : entry.ready.then(() => this.#joinRead(entry, released))
    return {
      initial,
      release: () => {
        released.abort()
        if (entry.listeners.delete(listener) && entry.listeners.size === 0) this.#close(entry)
      },
    }
  }

  /** Cancels every watch. Later subscriptions fail with `store_closed`. */
  close(): void {
    this.#closed = true
    for (const entry of [...this.#entries.values()]) this.#close(entry)
  }

  #create(key: RecordKey, keyString: string): Entry {
    let settle!: Settle
    // (Promise.withResolvers needs Node 22; engines allow Node 20.)
    const ready = new Promise<ValueEvent>((resolve, reject) => (settle = { resolve, reject }))
    // Every subscriber awaits `ready`; this only keeps an unobserved rejection quiet.
    ready.catch(() => {})
    const entry: Entry = {
      key,
      keyString,
      tenant: this.#options.repo.tenant(key.tenant),
      schema: defineSchema(key.schema),
      listeners: new Set(),
      ready,
      phase: { name: 'closed' }, // until #arm below, which needs the entry
      last: undefined,
      failures: 0,
      budgetRetries: 0,
    }
    this.#entries.set(keyString, entry)
    this.#options.metrics.activeWatches.inc()
    this.#arm(entry, settle, undefined)
    return entry
  }

  /** → arming: read and register the watch in one transaction. */
  #arm(entry: Entry, settle: Settle | undefined, firedAt: number | undefined): void {
    const phase = { name: 'arming', settle } as const
    entry.phase = phase
    entry.tenant.readAndWatch(entry.schema, entry.key.id).then(
      ({ state, watch }) => {
        if (entry.phase === phase) this.#armed(entry, settle, state, watch, firedAt)
        else watch.cancel()
      },
      (error: unknown) => {
        if (entry.phase === phase) this.#fail(entry, toSyncError(error))
      },
    )
  }

  /** arming → armed: emit the state if newer, hand out the first state, wait for the fire. */
  #armed(
    entry: Entry,
    settle: Settle | undefined,
    state: RecordState<unknown>,
    watch: KvWatch,
    firedAt: number | undefined,
  ): void {
    const phase = { name: 'armed', watch } as const
    entry.phase = phase
    entry.failures = 0
    watch.changed.then(
      (changed) => {
        if (entry.phase !== phase) return
        // `false` without our cancel: the watch's transaction never committed. Look again,
        // but not in a tight loop.
        if (changed) {
          entry.budgetRetries = 0
          this.#arm(entry, undefined, performance.now())
        } else this.#backoff(entry)
      },
      (error: unknown) => {
        if (entry.phase !== phase) return
        const syncError = toSyncError(error)
        const rearmed = settle === undefined
        if (
          rearmed &&
          syncError.code === 'too_many_watches' &&
          entry.budgetRetries < REARM_BUDGET_RETRIES
        ) {
          entry.budgetRetries += 1
          this.#countError(entry, syncError)
          this.#backoff(entry)
        } else {
          this.#fail(entry, syncError)
        }
      },
    )
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

  /** arming | armed → backoff (retryable) or closed (anything else). */
  #fail(entry: Entry, error: SyncError): void {
    this.#countError(entry, error)
    if (error.retryable) this.#backoff(entry)
    else this.#close(entry, error)
  }

  /** → backoff: arm again when the timer fires. */
  #backoff(entry: Entry): void {
    const settle = settleOf(entry.phase)
    const delay = backoffDelayMs(entry.failures, this.#options.backoff)
    entry.failures += 1
    const timer = setTimeout(() => this.#arm(entry, settle, undefined), delay)
    entry.phase = { name: 'backoff', timer, settle }
  }

  /** → closed: release the watch or timer; with `error`, tell every subscriber. */
  #close(entry: Entry, error?: SyncError): void {
    const { phase } = entry
    if (phase.name === 'closed') return
    entry.phase = { name: 'closed' }
    if (phase.name === 'armed') phase.watch.cancel()
    if (phase.name === 'backoff') clearTimeout(phase.timer)
    if (this.#entries.get(entry.keyString) === entry) this.#entries.delete(entry.keyString)
    this.#options.metrics.activeWatches.dec()
    const listeners = [...entry.listeners]
    entry.listeners.clear()
    const settle = settleOf(phase)
    if (settle !== undefined) {
      // Before the first state: every subscriber learns of it through `initial`.
      settle.reject(
        error ?? new SyncError('watch_cancelled', 'The subscription was released while starting.'),
      )
    } else if (error !== undefined) {
      for (const listener of listeners) listener.fail(error)
    }
  }

  /** The starting state of a subscriber that joins a watched record. */
  async #joinRead(entry: Entry, released: AbortController): Promise<ValueEvent> {
    let read = this.#joinReads.get(entry)
    if (read === undefined) {
      // Subscribers joining in the same tick (a burst of streams opening) share one read.
      read = coalescedRead(() => entry.tenant.getState(entry.schema, entry.key.id))
      this.#joinReads.set(entry, read)
    }
    const state = await retrying(read, {
      signal: released.signal,
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
