/**
 * One store watch per collection head, shared by every stream that subscribes to the
 * collection (docs/protocol.md, Collections).
 *
 * Lifecycle of one entry (one (tenant, schema, where); the phases are `Phase` in
 * watch-entry.ts, the transitions `WatchLoop` in watch-loop.ts, shared with the record hub):
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
 *     during the first arm `ready` rejects, later every listener gets `fail`. Except a
 *     re-armed watch that meets too_many_watches: backoff, up to REARM_BUDGET_RETRIES times
 *     in a row (watch-loop.ts), as for records.
 *   last subscriber leaves (any phase) → closed: watch cancelled, timer cleared, entry gone.
 *
 * Every fire reads only the version index after the last version read (`changesSince`),
 * so its cost is the number of changed members, not the size of the collection. The
 * batches an entry hands out are contiguous: each covers (previous version, its version].
 */
import {
  STORE_BACKOFF,
  defineSchema,
  retrying,
  type BackoffOptions,
  type CollectionChanges,
  type CollectionQuery,
  type Repo,
  type Schema,
  type SyncError,
  type TenantRepo,
  type Version,
  type WatchedCollection,
} from '@fdb-live/core'
import type { Logger } from 'pino'
import { CollectionBatch } from './collection-batch.js'
import { collectionKeyString, type CollectionKey } from './collection-key.js'
import type { GatewayMetrics } from './metrics.js'
import type { FailListener, Settle, WatchEntry } from './watch-entry.js'
import { WatchLoop } from './watch-loop.js'

/** Receives what a shared collection watch reads. */
export interface CollectionListener extends FailListener {
  /** A read after the entry's previous one: contiguous with it (or a `reset`). */
  batch(batch: CollectionBatch): void
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

/** One shared collection watch: one (tenant, schema, where). */
interface Entry extends WatchEntry<CollectionBatch, CollectionListener> {
  readonly key: CollectionKey
  readonly tenant: TenantRepo
  readonly schema: Schema<unknown>
  /** The version of the last read: the next read's `since`. */
  version: Version | undefined
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
  readonly #loop: WatchLoop<CollectionBatch, CollectionListener, Entry, WatchedCollection<unknown>>
  readonly #options: Required<CollectionHubOptions>

  constructor(options: CollectionHubOptions) {
    this.#options = { backoff: STORE_BACKOFF, ...options }
    this.#loop = new WatchLoop({
      metrics: this.#options.metrics,
      backoff: this.#options.backoff,
      readAndWatch: (entry) =>
        entry.tenant.readCollectionAndWatch(entry.schema, {
          ...whereOption(entry.key),
          ...(entry.version === undefined ? {} : { since: entry.version }),
        }),
      deliver: (entry, { changes }, settle, firedAt) =>
        this.#deliver(entry, changes, settle, firedAt),
      countError: (entry, error) => this.#countError(entry, error),
    })
  }

  /** Collection watches currently held. */
  get size(): number {
    return this.#loop.size
  }

  /** Adds `listener` to the collection's shared watch, arming it if it is the first. */
  subscribe(
    key: CollectionKey,
    since: Version | undefined,
    listener: CollectionListener,
  ): CollectionHubSubscription {
    return this.#loop.subscribe(
      collectionKeyString(key.tenant, key.schema, key.where),
      listener,
      (base) => ({
        ...base,
        key,
        tenant: this.#options.repo.tenant(key.tenant),
        schema: defineSchema(key.schema),
        // The first read starts at the first subscriber's `since`: its answer is that
        // subscriber's initial batch.
        version: since,
      }),
      (entry, released) => this.#joinRead(entry, since, released),
    )
  }

  /** Cancels every watch. Later subscriptions fail with `store_closed`. */
  close(): void {
    this.#loop.close()
  }

  /** armed, after a read: hand out the first batch, or broadcast a later one if it changed. */
  #deliver(
    entry: Entry,
    changes: CollectionChanges<unknown>,
    settle: Settle<CollectionBatch> | undefined,
    firedAt: number | undefined,
  ): void {
    const previous = entry.version
    entry.version = changes.version
    const batch = new CollectionBatch(entry.key.schema, entry.key.where, changes)
    if (settle !== undefined) {
      settle.resolve(batch)
      return
    }
    const changed = changes.reset || changes.version !== previous
    if (firedAt !== undefined)
      this.#options.metrics.watchFires.inc({ result: changed ? 'changed' : 'unchanged' })
    if (changed) for (const listener of entry.listeners) listener.batch(batch)
  }

  #countError(entry: Entry, error: SyncError): void {
    this.#options.metrics.watchErrors.inc({ code: error.code })
    const { tenant, schema } = entry.key
    this.#options.logger.warn(
      { tenant, schema, where: entry.key.where, code: error.code, err: error.cause ?? error },
      'collection watch failed',
    )
  }

  /** The starting batch of a subscriber that joins a watched collection. */
  async #joinRead(
    entry: Entry,
    since: Version | undefined,
    released: AbortSignal,
  ): Promise<CollectionBatch> {
    const changes = await retrying(
      () =>
        entry.tenant.changesSince(entry.schema, {
          ...whereOption(entry.key),
          ...(since === undefined ? {} : { since }),
        }),
      { signal: released, backoff: this.#options.backoff },
    )
    return new CollectionBatch(entry.key.schema, entry.key.where, changes)
  }
}

/** The store's `where` option for a collection key. */
function whereOption({ where }: CollectionKey): CollectionQuery {
  return where === undefined ? {} : { where: { [where[0]]: where[1] } }
}
