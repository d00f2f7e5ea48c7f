/**
 * One store watch per record, shared by every stream that subscribes to it.
 *
 * Lifecycle of one entry (one (tenant, schema, id)):
 *
 *                first subscribe             transient error (store_unavailable,
 *        (none) ─────────────────► arming ◄─┐ transaction_timeout, conflict): backoff
 *                                    │  └───┘ read + watch in ONE transaction
 *   any other error (too_many_watches│  ok: first state → `ready`
 *   store_closed, invalid_*, internal│                        watch fires
 *   → `ready` rejects: all fail      ▼       ┌────────────────────────────────┐
 *                                  armed ◄───┴─ rearming: re-read + re-arm in │
 *                                    │           ONE transaction; emit only if│
 *                                    │           the version is newer ────────┘
 *                 watch/re-arm error │                       ▲
 *                                    ▼                       │ timer
 *                                 backoff ───────────────────┘
 *
 *   last subscriber leaves (any state) → closed: watch cancelled, timer cleared, entry gone.
 *   too_many_watches or store_closed while re-arming → failed: subscribers get the error.
 *
 * A fire only means "go and look" (watches fire without a change and coalesce several),
 * so every fire re-reads and compares versions before anything reaches a stream.
 */
import {
  SyncError,
  defineSchema,
  toSyncError,
  type KvWatch,
  type RecordState,
  type SyncErrorCode,
  type Repo,
  type Schema,
  type TenantRepo,
} from '@fdb-live/core'
import type { Logger } from 'pino'
import type { GatewayMetrics } from './metrics.js'
import { recordKeyString, type RecordKey } from './record-key.js'
import { ValueEvent } from './value-event.js'

/** Receives what a shared watch observes. */
export interface WatchListener {
  /** A state newer than the entry's previous one. */
  change(event: ValueEvent): void
  /** The shared watch failed for good; no further calls follow. */
  fail(error: SyncError): void
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
  /** First re-arm delay after a watch error; doubles per failure, with jitter. @default 50 */
  backoffInitialMs?: number
  /** @default 5000 */
  backoffMaxMs?: number
}

/**
 * Errors of the first arm that are worth waiting out (issue 3: "on a watch error: re-arm
 * with backoff"). Anything else fails the subscription at once: `too_many_watches` and
 * `store_closed` will not heal by waiting, invalid input never will, and `internal` (e.g. a
 * record outside the data layout) would otherwise hold the stream's `synced` back forever
 * with nothing to show the client.
 */
const TRANSIENT_CODES: ReadonlySet<SyncErrorCode> = new Set([
  'store_unavailable',
  'transaction_timeout',
  'transaction_conflict',
])

type Phase = 'arming' | 'armed' | 'rearming' | 'backoff' | 'closed'

interface Entry {
  readonly key: RecordKey
  readonly keyString: string
  readonly tenant: TenantRepo
  readonly schema: Schema<unknown>
  readonly listeners: Set<WatchListener>
  phase: Phase
  /** Settles with the first state; see {@link HubSubscription.initial}. */
  readonly ready: Promise<ValueEvent>
  /** Set until `ready` settles. */
  settle: { resolve(event: ValueEvent): void; reject(error: SyncError): void } | undefined
  last: ValueEvent | undefined
  watch: KvWatch | undefined
  timer: NodeJS.Timeout | undefined
  failures: number
}

/** The registry of shared store watches; see the state diagram at the top of this file. */
export class WatchHub {
  readonly #entries = new Map<string, Entry>()
  readonly #options: Required<WatchHubOptions>
  #closed = false

  constructor(options: WatchHubOptions) {
    this.#options = { backoffInitialMs: 50, backoffMaxMs: 5000, ...options }
  }

  /** Store watches currently held. */
  get size(): number {
    return this.#entries.size
  }

  subscribe(key: RecordKey, listener: WatchListener): HubSubscription {
    if (this.#closed) {
      const initial = Promise.reject(new SyncError('store_closed', 'The gateway is shutting down.'))
      return { initial, release: () => {} }
    }
    const keyString = recordKeyString(key)
    let entry = this.#entries.get(keyString)
    let initial: Promise<ValueEvent>
    if (entry === undefined) {
      entry = this.#createEntry(key, keyString)
      entry.listeners.add(listener)
      initial = entry.ready
    } else {
      entry.listeners.add(listener)
      // The watch is (being) armed already; a fresh read after that point sees every write
      // the watch does not, so nothing falls between the two.
      const shared = entry
      initial = shared.ready.then(() => this.#freshRead(shared))
    }
    const owner = entry
    return {
      initial,
      release: () => {
        if (owner.listeners.delete(listener) && owner.listeners.size === 0) this.#closeEntry(owner)
      },
    }
  }

  /** Cancels every watch. Later subscriptions fail with `store_closed`. */
  close(): void {
    this.#closed = true
    for (const entry of [...this.#entries.values()]) this.#closeEntry(entry)
  }

  #createEntry(key: RecordKey, keyString: string): Entry {
    let settle: Entry['settle']
    // (Promise.withResolvers needs Node 22; engines allow Node 20.)
    const ready = new Promise<ValueEvent>((resolve, reject) => {
      settle = { resolve, reject }
    })
    // Every subscriber awaits `ready`; this only keeps an unobserved rejection quiet.
    ready.catch(() => {})
    const entry: Entry = {
      key,
      keyString,
      tenant: this.#options.repo.tenant(key.tenant),
      schema: defineSchema(key.schema),
      listeners: new Set(),
      phase: 'arming',
      ready,
      settle,
      last: undefined,
      watch: undefined,
      timer: undefined,
      failures: 0,
    }
    this.#entries.set(keyString, entry)
    this.#options.metrics.activeWatches.inc()
    this.#rearm(entry, undefined)
    return entry
  }

  /** Reads the record and registers its watch in one transaction, then listens for the fire. */
  async #arm(entry: Entry, firedAt: number | undefined): Promise<void> {
    const { schema, key } = entry
    const { state, watch } = await entry.tenant.transact(async (tx) => ({
      state: await tx.getState(schema, key.id),
      watch: tx.watch(schema, key.id),
    }))
    if (entry.phase === 'closed') {
      watch.cancel()
      return
    }
    entry.phase = 'armed'
    entry.watch = watch
    entry.failures = 0
    watch.changed.then(
      (changed) => this.#onSettled(entry, watch, changed),
      (error: unknown) => this.#onWatchError(entry, watch, error),
    )
    this.#observe(entry, state, firedAt)
    if (entry.settle !== undefined && entry.last !== undefined) {
      entry.settle.resolve(entry.last)
      entry.settle = undefined
    }
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

  #onSettled(entry: Entry, watch: KvWatch, changed: boolean): void {
    if (entry.watch !== watch || entry.phase === 'closed') return
    entry.watch = undefined
    // `false` without our cancel means the watch's transaction never committed: look again,
    // but not in a tight loop.
    if (changed) this.#rearm(entry, performance.now())
    else this.#backoff(entry)
  }

  #onWatchError(entry: Entry, watch: KvWatch, error: unknown): void {
    if (entry.watch !== watch || entry.phase === 'closed') return
    entry.watch = undefined
    this.#handleFailure(entry, toSyncError(error))
  }

  #rearm(entry: Entry, firedAt: number | undefined): void {
    entry.phase = entry.settle === undefined ? 'rearming' : 'arming'
    this.#arm(entry, firedAt).catch((error: unknown) => {
      if (entry.phase !== 'closed') this.#handleFailure(entry, toSyncError(error))
    })
  }

  #handleFailure(entry: Entry, error: SyncError): void {
    this.#countError(entry, error)
    const settle = entry.settle
    if (settle !== undefined && !TRANSIENT_CODES.has(error.code)) {
      // The first arm: subscribers learn of it through `initial`.
      entry.settle = undefined
      this.#removeEntry(entry)
      entry.listeners.clear()
      settle.reject(error)
      return
    }
    if (error.code === 'too_many_watches' || error.code === 'store_closed') {
      this.#removeEntry(entry)
      for (const listener of entry.listeners) listener.fail(error)
      entry.listeners.clear()
      return
    }
    this.#backoff(entry)
  }

  #backoff(entry: Entry): void {
    const { backoffInitialMs, backoffMaxMs } = this.#options
    const delay =
      Math.min(backoffMaxMs, backoffInitialMs * 2 ** entry.failures) * (0.5 + Math.random() / 2)
    entry.failures += 1
    entry.phase = 'backoff'
    entry.timer = setTimeout(() => {
      entry.timer = undefined
      if (entry.phase === 'backoff') this.#rearm(entry, undefined)
    }, delay)
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

  async #freshRead(entry: Entry): Promise<ValueEvent> {
    const state = await entry.tenant.getState(entry.schema, entry.key.id)
    const last = entry.last
    // Reuse the shared event (and its serialised frame) when nothing changed since.
    if (last !== undefined && last.version >= state.version) return last
    return new ValueEvent(entry.key.schema, state)
  }

  #closeEntry(entry: Entry): void {
    this.#removeEntry(entry)
    entry.listeners.clear()
  }

  #removeEntry(entry: Entry): void {
    if (entry.phase === 'closed') return
    entry.phase = 'closed'
    entry.settle?.reject(
      new SyncError('watch_cancelled', 'The subscription was released while it was starting.'),
    )
    entry.settle = undefined
    entry.watch?.cancel()
    entry.watch = undefined
    if (entry.timer !== undefined) clearTimeout(entry.timer)
    entry.timer = undefined
    if (this.#entries.get(entry.keyString) === entry) this.#entries.delete(entry.keyString)
    this.#options.metrics.activeWatches.dec()
  }
}
