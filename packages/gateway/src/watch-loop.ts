/**
 * The lifecycle both hubs share: one store watch per entry, re-read and re-armed on every
 * fire, kept in a map by key until its last listener leaves. What an entry reads, and how
 * its listeners hear of it, is the hub's (`WatchLoopOptions`); each hub's diagram says it.
 *
 *             first subscribe
 *     (none) ────────────────► arming: readAndWatch (read + watch in ONE transaction)
 *                               │   ▲  ▲
 *        ok: the first read     │   │  │ timer
 *        settles `ready`; later │   │  └───────── backoff ◄── retryable error (RETRYABLE_CODES)
 *        reads are delivered    │   │ fire           ▲        while arming or armed, or a
 *                               ▼   │                │        watch ended without a fire
 *                              armed ┴───────────────┘
 *
 *   any other error → closed: during the first arm `ready` rejects, later every listener
 *     gets `fail`. Except a re-armed watch that meets too_many_watches: backoff, up to
 *     REARM_BUDGET_RETRIES times in a row.
 *   last subscriber leaves (any phase) → closed: watch cancelled, timer cleared, entry gone.
 */
import {
  SyncError,
  backoffDelayMs,
  toSyncError,
  type BackoffOptions,
  type KvWatch,
} from '@fdb-live/core'
import type { GatewayMetrics } from './metrics.js'
import { settleOf, type FailListener, type Settle, type WatchEntry } from './watch-entry.js'

/**
 * How often in a row a re-armed watch may meet `too_many_watches` before its listeners
 * (a record's streams, or a collection's) are failed. The entry held a watch a moment
 * before, so the budget had room for it: FoundationDB can report 1032 below the limit (a
 * watch slot not given back yet; the libfdb_c test double injects it), and that passes. A
 * budget that stays full does not, and is reported after these tries (≈ 0.75 s with the
 * default backoff). A first arm is not retried: a subscription over the budget is told at
 * once (docs/protocol.md).
 */
export const REARM_BUDGET_RETRIES = 4

/** What differs between the hubs. */
export interface WatchLoopOptions<T, E, R extends { readonly watch: KvWatch }> {
  metrics: GatewayMetrics
  backoff: BackoffOptions
  /** Reads the entry and registers its watch, in one transaction. */
  readAndWatch(entry: E): Promise<R>
  /**
   * Takes in a read, right after its watch is armed: hands out the first state through
   * `settle` (while there is one), tells the listeners of a later one. `firedAt` is set
   * when a fire caused the read.
   */
  deliver(entry: E, read: R, settle: Settle<T> | undefined, firedAt: number | undefined): void
  /** Counts and logs an error, retried or not. */
  countError(entry: E, error: SyncError): void
}

/** One listener's hold on a shared watch. */
export interface LoopSubscription<T> {
  readonly initial: Promise<T>
  release(): void
}

/** The registry of entries and their transitions; see the state diagram at the top. */
export class WatchLoop<
  T,
  L extends FailListener,
  E extends WatchEntry<T, L>,
  R extends { readonly watch: KvWatch },
> {
  readonly #entries = new Map<string, E>()
  readonly #options: WatchLoopOptions<T, E, R>
  #closed = false

  constructor(options: WatchLoopOptions<T, E, R>) {
    this.#options = options
  }

  /** Store watches currently held. */
  get size(): number {
    return this.#entries.size
  }

  /**
   * Adds `listener` to the entry at `keyString`, creating (`create`) and arming it if it is
   * the first; a later subscriber's starting state comes from `join`.
   */
  subscribe(
    keyString: string,
    listener: L,
    create: (base: WatchEntry<T, L>) => E,
    join: (entry: E, released: AbortSignal) => Promise<T>,
  ): LoopSubscription<T> {
    if (this.#closed) {
      const initial = Promise.reject(new SyncError('store_closed', 'The gateway is shutting down.'))
      return { initial, release: () => {} }
    }
    const existing = this.#entries.get(keyString)
    const entry = existing ?? this.#create(keyString, create)
    entry.listeners.add(listener)
    let released = false
    // Only while a joiner's own read runs (it may retry): an idle subscription holds none.
    let joining: AbortController | undefined
    const initial =
      existing === undefined
        ? entry.ready
        : entry.ready.then(() => {
            const abort = (joining = new AbortController())
            if (released) abort.abort()
            return join(entry, abort.signal).finally(() => (joining = undefined))
          })
    return {
      initial,
      release: () => {
        released = true
        joining?.abort()
        if (entry.listeners.delete(listener) && entry.listeners.size === 0) this.#close(entry)
      },
    }
  }

  /** Cancels every watch. Later subscriptions fail with `store_closed`. */
  close(): void {
    this.#closed = true
    for (const entry of [...this.#entries.values()]) this.#close(entry)
  }

  #create(keyString: string, create: (base: WatchEntry<T, L>) => E): E {
    let settle!: Settle<T>
    // (Promise.withResolvers needs Node 22; engines allow Node 20.)
    const ready = new Promise<T>((resolve, reject) => (settle = { resolve, reject }))
    // Every subscriber awaits `ready`; this only keeps an unobserved rejection quiet.
    ready.catch(() => {})
    const entry = create({
      keyString,
      listeners: new Set(),
      ready,
      phase: { name: 'closed' }, // until #arm below, which needs the entry
      failures: 0,
      budgetRetries: 0,
    })
    this.#entries.set(keyString, entry)
    this.#options.metrics.activeWatches.inc()
    this.#arm(entry, settle, undefined)
    return entry
  }

  /** → arming: read and register the watch in one transaction. */
  #arm(entry: E, settle: Settle<T> | undefined, firedAt: number | undefined): void {
    const phase = { name: 'arming', settle } as const
    entry.phase = phase
    this.#options.readAndWatch(entry).then(
      (read) => {
        if (entry.phase !== phase) {
          read.watch.cancel()
          return
        }
        this.#armed(entry, settle, read.watch)
        this.#options.deliver(entry, read, settle, firedAt)
      },
      (error: unknown) => {
        if (entry.phase === phase) this.#fail(entry, toSyncError(error))
      },
    )
  }

  /** arming → armed: wait for the fire (the caller then delivers the read). */
  #armed(entry: E, settle: Settle<T> | undefined, watch: KvWatch): void {
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
          this.#options.countError(entry, syncError)
          this.#backoff(entry)
        } else {
          this.#fail(entry, syncError)
        }
      },
    )
  }

  /** arming | armed → backoff (retryable) or closed (anything else). */
  #fail(entry: E, error: SyncError): void {
    this.#options.countError(entry, error)
    if (error.retryable) this.#backoff(entry)
    else this.#close(entry, error)
  }

  /** → backoff: arm again when the timer fires. */
  #backoff(entry: E): void {
    const settle = settleOf(entry.phase)
    const delay = backoffDelayMs(entry.failures, this.#options.backoff)
    entry.failures += 1
    const timer = setTimeout(() => this.#arm(entry, settle, undefined), delay)
    entry.phase = { name: 'backoff', timer, settle }
  }

  /** → closed: release the watch or timer; with `error`, tell every subscriber. */
  #close(entry: E, error?: SyncError): void {
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
}
