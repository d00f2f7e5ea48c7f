/*
 * The watches of one embedded-store handle.
 *
 *   create() ──► pending ──(its transaction commits: activate(baseline))──► active
 *                   │                                                         │
 *                   │ transaction fails or is retried,     a commit newer than │ baseline
 *                   │ cancel(), store closed               wrote the key       ▼
 *                   ▼                                                        fired: changed → true
 *                 done: changed → false  ◄──────── cancel(), store closed ─── (from active)
 *
 *   create() beyond maxWatches ──► done: changed rejects with too_many_watches
 *
 * Pending and active watches count toward `maxWatches`; a settled watch frees its slot.
 * Active watches are indexed by key (see {@link KeyIndex}): a changed key costs one map
 * lookup, a cleared range O(log n + matches), whatever the number of watched keys.
 */
import type { KvWatch } from './store.js'
import { SyncError } from '../errors.js'
import { KeyIndex } from './lmdb-key-index.js'
import type { KeyId } from './lmdb-keys.js'

type WatchState = 'pending' | 'active' | 'done'

/** A watch of the embedded store. */
export class LmdbWatch implements KvWatch {
  readonly changed: Promise<boolean>
  state: WatchState = 'pending'
  /** Commits newer than this one fire the watch. */
  baseline = 0
  settle!: (result: boolean | SyncError) => void

  constructor(
    readonly id: KeyId,
    private readonly registry: WatchRegistry,
  ) {
    this.changed = new Promise<boolean>((resolve, reject) => {
      this.settle = (result) => (result instanceof SyncError ? reject(result) : resolve(result))
    })
    // A caller that drops a watch must not crash the process with an unhandled rejection.
    this.changed.catch(() => undefined)
  }

  cancel(): void {
    this.registry.finish(this, false)
  }
}

/** Indexes the watches of one store handle and settles them. */
export class WatchRegistry {
  private readonly byKey = new KeyIndex<LmdbWatch>()
  private readonly pending = new Set<LmdbWatch>()
  private active = 0

  /**
   * @param maxWatches Most pending + active watches.
   * @param onActiveCount Told the number of active watches whenever it changes.
   */
  constructor(
    private readonly maxWatches: number,
    private readonly onActiveCount: (count: number) => void,
  ) {}

  /** Number of active watches. */
  get activeCount(): number {
    return this.active
  }

  /** A new pending watch on `id` (already rejected when over the limit). */
  create(id: KeyId): LmdbWatch {
    const watch = new LmdbWatch(id, this)
    if (this.pending.size + this.active >= this.maxWatches) {
      watch.state = 'done'
      watch.settle(
        new SyncError(
          'too_many_watches',
          `This store handle already has ${this.maxWatches} outstanding watches (maxWatches): ` +
            'cancel unused watches, or raise maxWatches.',
        ),
      )
      return watch
    }
    this.pending.add(watch)
    return watch
  }

  /** Makes a pending watch active: commits after `baseline` that change its key fire it. */
  activate(watch: LmdbWatch, baseline: number): void {
    if (watch.state !== 'pending') return
    this.pending.delete(watch)
    watch.state = 'active'
    watch.baseline = baseline
    this.byKey.add(watch.id, watch)
    this.onActiveCount(++this.active)
  }

  /** Settles a watch (idempotent). */
  finish(watch: LmdbWatch, result: boolean | SyncError): void {
    if (watch.state === 'done') return
    if (watch.state === 'pending') this.pending.delete(watch)
    else {
      this.byKey.delete(watch.id, watch)
      this.onActiveCount(--this.active)
    }
    watch.state = 'done'
    watch.settle(result)
  }

  /** Fires the active watches on `id` older than `commit`. */
  fireKey(id: KeyId, commit: number): void {
    const set = this.byKey.get(id)
    if (set === undefined) return
    for (const watch of [...set]) if (watch.baseline < commit) this.finish(watch, true)
  }

  /** Fires the active watches on keys in `[start, end)` older than `commit`. */
  fireRange(start: KeyId, end: KeyId, commit: number): void {
    for (const id of this.byKey.keysInRange(start, end)) this.fireKey(id, commit)
  }

  /** Fires every active watch older than `commit` (the change log no longer tells). */
  fireAllOlderThan(commit: number): void {
    for (const id of this.byKey.keys()) this.fireKey(id, commit)
  }

  /** Settles every pending and active watch with `false`. */
  closeAll(): void {
    for (const watch of [...this.pending]) this.finish(watch, false)
    for (const id of this.byKey.keys())
      for (const watch of [...(this.byKey.get(id) ?? [])]) this.finish(watch, false)
    this.byKey.clear()
  }
}
