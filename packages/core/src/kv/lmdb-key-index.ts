import type { KeyId } from './lmdb-keys.js'

/**
 * Items grouped by key, with the keys also kept in byte order so that the items under a
 * range of keys are found in O(log n + matches) instead of by scanning every key.
 *
 * A commit changes a few keys and ranges (every record write clears its chunk range), and
 * a store handle may watch tens of thousands of keys: a point lookup is one map lookup,
 * a range lookup one binary search and a walk over the keys inside the range.
 *
 * The order is a sorted array rather than a tree: lookups are cache-friendly and there is
 * no dependency. Its cost is in inserting a key never seen (or compacted away), which moves
 * the keys after it (a memmove: 5–30 µs at 20,000 keys on a loaded 2-core machine; arming
 * 20,000 watches costs about 0.2 s in all). So a key whose last item goes
 * is not removed from the array at once but left there, stale: the usual pattern, a watch
 * fires and the same key is watched again right after, then touches the array not at all.
 * Stale keys are dropped in one pass once they outnumber the live ones (amortised O(1) per
 * removal), so the array holds at most twice the live keys plus {@link MIN_COMPACT}.
 */
export class KeyIndex<T> {
  /** Live keys only: a key is here exactly while it has items. */
  private readonly byKey = new Map<KeyId, Set<T>>()
  /** Every live key, plus `stale` keys that no longer have items; ascending, no duplicates. */
  private sorted: KeyId[] = []
  private stale = 0

  /** Number of keys with at least one item. */
  get keyCount(): number {
    return this.byKey.size
  }

  /** The items under `id` (the set itself: copy it before changing the index). */
  get(id: KeyId): ReadonlySet<T> | undefined {
    return this.byKey.get(id)
  }

  /** Adds `item` under `id`. */
  add(id: KeyId, item: T): void {
    const set = this.byKey.get(id)
    if (set !== undefined) {
      set.add(item)
      return
    }
    this.byKey.set(id, new Set([item]))
    const at = lowerBound(this.sorted, id)
    if (this.sorted[at] === id) this.stale--
    else this.sorted.splice(at, 0, id)
  }

  /** Removes `item` from under `id` (no-op when it is not there). */
  delete(id: KeyId, item: T): void {
    const set = this.byKey.get(id)
    if (set === undefined || !set.delete(item) || set.size > 0) return
    this.byKey.delete(id)
    if (++this.stale > Math.max(this.byKey.size, MIN_COMPACT)) this.compact()
  }

  /** The live keys `start <= key < end`, ascending (a new array). */
  keysInRange(start: KeyId, end: KeyId): KeyId[] {
    const out: KeyId[] = []
    if (!(start < end)) return out
    for (let at = lowerBound(this.sorted, start); at < this.sorted.length; at++) {
      const id = this.sorted[at]!
      if (id >= end) break
      if (this.byKey.has(id)) out.push(id)
    }
    return out
  }

  /** Every live key (a new array, in no particular order). */
  keys(): KeyId[] {
    return [...this.byKey.keys()]
  }

  /** Removes everything. */
  clear(): void {
    this.byKey.clear()
    this.sorted = []
    this.stale = 0
  }

  /** Checks the invariants; throws on a violation. */
  checkForTesting(): void {
    const live = this.sorted.filter((id) => this.byKey.has(id))
    for (let i = 1; i < this.sorted.length; i++) {
      if (!(this.sorted[i - 1]! < this.sorted[i]!)) throw new Error('KeyIndex: not sorted')
    }
    if (live.length !== this.byKey.size) throw new Error('KeyIndex: a live key is not sorted')
    if (this.sorted.length - live.length !== this.stale) throw new Error('KeyIndex: stale count')
    for (const set of this.byKey.values()) if (set.size === 0) throw new Error('KeyIndex: empty')
  }

  /** Length of the sorted array, stale keys included. */
  sortedLengthForTesting(): number {
    return this.sorted.length
  }

  private compact(): void {
    this.sorted = this.sorted.filter((id) => this.byKey.has(id))
    this.stale = 0
  }
}

/** Stale keys tolerated however few keys are live, so that small indexes rarely compact. */
const MIN_COMPACT = 64

/** First index whose key is `>= id` (binary-string order is byte order). */
function lowerBound(sorted: readonly KeyId[], id: KeyId): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (sorted[mid]! < id) low = mid + 1
    else high = mid
  }
  return low
}
