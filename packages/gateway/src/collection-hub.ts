/**
 * One store watch per collection head, shared by every stream that subscribes to the
 * collection (docs/protocol.md, Collections).
 *
 * Lifecycle of one entry (one (tenant, schema, where)):
 *
 *             first subscribe
 *     (none) ────────────────► arming: readCollectionAndWatch(since = last version read)
 *                               │   ▲  ▲            (changes + watch in ONE transaction)
 *        ok: the first read     │   │  │ timer
 *        settles `ready`; later │   │  └───────── backoff ◄── retryable error
 *        reads are broadcast    │   │ fire           ▲        (RETRYABLE_CODES), or a watch
 *        when they changed      ▼   │                │        that ended without a fire
 *                              armed ┴───────────────┘
 *
 *   any other error (collection_too_large, too_many_watches, store_closed…) → closed:
 *     during the first arm `ready` rejects, later every listener gets `fail`.
 *   last subscriber leaves (any phase) → closed: watch cancelled, timer cleared, entry gone.
 *
 * Every fire reads only the version index after the last version read (`changesSince`),
 * so its cost is the number of changed members, not the size of the collection. The
 * batches an entry hands out are contiguous: each covers (previous version, its version].
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
  type Repo,
  type Schema,
  type TenantRepo,
  type Version,
} from '@fdb-live/core'
import type { Logger } from 'pino'
import { CollectionBatch } from './collection-batch.js'
import { collectionKeyString, type CollectionKey } from './collection-key.js'
import type { GatewayMetrics } from './metrics.js'

/** Receives what a shared collection watch reads. */
export interface CollectionListener {
  /** A read after the entry's previous one: contiguous with it (or a `reset`). */
  batch(batch: CollectionBatch): void
  /** The shared watch failed for good; no further calls follow. */
  fail(error: SyncError): void
}

/** One listener's hold on a shared collection watch. */
export interface CollectionHubSubscription {
  /**
   * The changes since the subscriber's `since` (or every member), read no earlier than
   * the moment the shared watch was armed: every later change reaches `batch`.
   */
  readonly initial: Promise<CollectionBatch>
  release(): void
}

interface Settle {
  resolve(batch: CollectionBatch): void
  reject(error: SyncError): void
}

type Phase =
  | { readonly name: 'arming'; readonly settle: Settle | undefined }
  | { readonly name: 'armed'; readonly watch: KvWatch }
  | {
      readonly name: 'backoff'
      readonly timer: NodeJS.Timeout
      readonly settle: Settle | undefined
    }
  | { readonly name: 'closed' }

interface Entry {
  readonly key: CollectionKey
  readonly keyString: string
  readonly tenant: TenantRepo
  readonly schema: Schema<unknown>
  readonly listeners: Set<CollectionListener>
  readonly ready: Promise<CollectionBatch>
  phase: Phase
  /** The version of the last read: the next read's `since`. */
  version: Version | undefined
  failures: number
}

/** Options for {@link CollectionHub}. */
export interface CollectionHubOptions {
  repo: Repo
  metrics: GatewayMetrics
  logger: Logger
  /** @default STORE_BACKOFF */
  backoff?: BackoffOptions
}

/** The registry of shared collection watches; see the state diagram at the top of this file. */
export class CollectionHub {
  readonly #entries = new Map<string, Entry>()
  readonly #options: Required<CollectionHubOptions>
  #closed = false

  constructor(options: CollectionHubOptions) {
    this.#options = { backoff: STORE_BACKOFF, ...options }
  }

  /** Collection watches currently held. */
  get size(): number {
    return this.#entries.size
  }

  /** Adds `listener` to the collection's shared watch, arming it if it is the first. */
  subscribe(
    key: CollectionKey,
    since: Version | undefined,
    listener: CollectionListener,
  ): CollectionHubSubscription {
    if (this.#closed) {
      const initial = Promise.reject(new SyncError('store_closed', 'The gateway is shutting down.'))
      return { initial, release: () => {} }
    }
    const keyString = collectionKeyString(key.tenant, key.schema, key.where)
    const existing = this.#entries.get(keyString)
    const entry = existing ?? this.#create(key, keyString, since)
    entry.listeners.add(listener)
    const released = new AbortController()
    const initial =
      existing === undefined
        ? entry.ready
        : entry.ready.then(() => this.#joinRead(entry, since, released))
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

  #create(key: CollectionKey, keyString: string, since: Version | undefined): Entry {
    let settle!: Settle
    const ready = new Promise<CollectionBatch>((resolve, reject) => (settle = { resolve, reject }))
    ready.catch(() => {})
    const entry: Entry = {
      key,
      keyString,
      tenant: this.#options.repo.tenant(key.tenant),
      schema: defineSchema(key.schema),
      listeners: new Set(),
      ready,
      phase: { name: 'closed' },
      // The first read starts at the first subscriber's `since`: its answer is that
      // subscriber's initial batch.
      version: since,
      failures: 0,
    }
    this.#entries.set(keyString, entry)
    this.#options.metrics.activeWatches.inc()
    this.#arm(entry, settle, false)
    return entry
  }

  /** → arming: read what changed after the last version and re-arm, in one transaction. */
  #arm(entry: Entry, settle: Settle | undefined, fired: boolean): void {
    const phase = { name: 'arming', settle } as const
    entry.phase = phase
    const { where } = entry.key
    const options = {
      ...(where === undefined ? {} : { where: { [where[0]]: where[1] } }),
      ...(entry.version === undefined ? {} : { since: entry.version }),
    }
    entry.tenant.readCollectionAndWatch(entry.schema, options).then(
      ({ changes, watch }) => {
        if (entry.phase !== phase) {
          watch.cancel()
          return
        }
        this.#armed(entry, watch)
        const previous = entry.version
        entry.version = changes.version
        const batch = new CollectionBatch(entry.key.schema, where, changes)
        if (settle !== undefined) {
          settle.resolve(batch)
          return
        }
        const changed = changes.reset || changes.version !== previous
        if (fired)
          this.#options.metrics.watchFires.inc({ result: changed ? 'changed' : 'unchanged' })
        if (changed) for (const listener of entry.listeners) listener.batch(batch)
      },
      (error: unknown) => {
        if (entry.phase === phase) this.#fail(entry, toSyncError(error))
      },
    )
  }

  /** arming → armed: wait for the fire. */
  #armed(entry: Entry, watch: KvWatch): void {
    const phase = { name: 'armed', watch } as const
    entry.phase = phase
    entry.failures = 0
    watch.changed.then(
      (changed) => {
        if (entry.phase !== phase) return
        if (changed) this.#arm(entry, undefined, true)
        else this.#backoff(entry)
      },
      (error: unknown) => {
        if (entry.phase === phase) this.#fail(entry, toSyncError(error))
      },
    )
  }

  #fail(entry: Entry, error: SyncError): void {
    this.#options.metrics.watchErrors.inc({ code: error.code })
    const { tenant, schema } = entry.key
    this.#options.logger.warn(
      { tenant, schema, where: entry.key.where, code: error.code, err: error.cause ?? error },
      'collection watch failed',
    )
    if (error.retryable) this.#backoff(entry)
    else this.#close(entry, error)
  }

  #backoff(entry: Entry): void {
    const { phase } = entry
    const settle = phase.name === 'arming' || phase.name === 'backoff' ? phase.settle : undefined
    const delay = backoffDelayMs(entry.failures, this.#options.backoff)
    entry.failures += 1
    const timer = setTimeout(() => this.#arm(entry, settle, false), delay)
    entry.phase = { name: 'backoff', timer, settle }
  }

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
    const settle = phase.name === 'arming' || phase.name === 'backoff' ? phase.settle : undefined
    if (settle !== undefined) {
      settle.reject(
        error ?? new SyncError('watch_cancelled', 'The subscription was released while starting.'),
      )
    } else if (error !== undefined) {
      for (const listener of listeners) listener.fail(error)
    }
  }

  /** The starting batch of a subscriber that joins a watched collection. */
  async #joinRead(
    entry: Entry,
    since: Version | undefined,
    released: AbortController,
  ): Promise<CollectionBatch> {
    const { where } = entry.key
    const changes = await retrying(
      () =>
        entry.tenant.changesSince(entry.schema, {
          ...(where === undefined ? {} : { where: { [where[0]]: where[1] } }),
          ...(since === undefined ? {} : { since }),
        }),
      { signal: released.signal, backoff: this.#options.backoff },
    )
    return new CollectionBatch(entry.key.schema, where, changes)
  }
}
