/**
 * One store watch per record, shared by every stream that subscribes to it.
 *
 * Lifecycle of one entry (one (tenant, schema, id)):
 *
 *                first subscribe
 *        (none) ─────────────────► arming ──── read + watch in ONE transaction
 *                                    │  ok: first state → `ready`
 *          too_many_watches / error  │                        watch fires
 *          → every subscriber fails  ▼       ┌────────────────────────────────┐
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

// Placeholder until #createEntry assigns the real promise (it needs the entry first).
const INITIAL_PENDING = new Promise<never>(() => {})

type Phase = 'arming' | 'armed' | 'rearming' | 'backoff' | 'closed'

interface Entry {
  readonly key: RecordKey
  readonly keyString: string
  readonly tenant: TenantRepo
  readonly schema: Schema<unknown>
  readonly listeners: Set<WatchListener>
  phase: Phase
  ready: Promise<ValueEvent>
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
    const entry: Entry = {
      key,
      keyString,
      tenant: this.#options.repo.tenant(key.tenant),
      schema: defineSchema(key.schema),
      listeners: new Set(),
      phase: 'arming',
      ready: INITIAL_PENDING,
      last: undefined,
      watch: undefined,
      timer: undefined,
      failures: 0,
    }
    this.#entries.set(keyString, entry)
    this.#options.metrics.activeWatches.inc()
    entry.ready = this.#arm(entry, undefined).then(
      () => {
        if (entry.last === undefined) {
          throw new SyncError(
            'watch_cancelled',
            'The subscription was released while it was starting.',
          )
        }
        return entry.last
      },
      (error: unknown) => {
        const syncError = toSyncError(error)
        if (entry.phase !== 'closed') this.#countError(entry, syncError)
        this.#removeEntry(entry)
        throw syncError
      },
    )
    // Every subscriber awaits `ready`; this only keeps an unobserved rejection quiet.
    entry.ready.catch(() => {})
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
    entry.phase = 'rearming'
    this.#arm(entry, firedAt).catch((error: unknown) => {
      if (entry.phase !== 'closed') this.#handleFailure(entry, toSyncError(error))
    })
  }

  #handleFailure(entry: Entry, error: SyncError): void {
    this.#countError(entry, error)
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
    entry.watch?.cancel()
    entry.watch = undefined
    if (entry.timer !== undefined) clearTimeout(entry.timer)
    entry.timer = undefined
    if (this.#entries.get(entry.keyString) === entry) this.#entries.delete(entry.keyString)
    this.#options.metrics.activeWatches.dec()
  }
}
