import { subscriptionKey } from './query-key.js'

/** One record in the set, shared by every component that subscribed to it. */
export interface SubscriptionEntry {
  readonly key: string
  readonly schema: string
  readonly id: string
  /** Live references; the entry leaves the set `lingerMs` after this drops to 0. */
  refs: number
  /** References that asked for invalidation (a user-supplied `queryFn`) instead of a cache write. */
  invalidators: number
}

/** Options for {@link createSubscriptionSet}. */
export interface SubscriptionSetOptions<E extends SubscriptionEntry> {
  /** Makes the set's object for a record joining it (the client's per-record state). */
  create?: ((entry: SubscriptionEntry) => E) | undefined
  /** How long a record stays after its last reference is released. */
  lingerMs: number
  /** How long to gather changes before reporting them (0: at the end of the current task). */
  batchDelayMs: number
  /**
   * After a report, further changes (new records, linger expiries) are gathered until this
   * much time has passed, so a user paging through records reopens the stream once per
   * window rather than once per change and once per expiry. @default 0
   */
  batchWindowMs?: number | undefined
  /** Called once per batch in which records joined or left the set. */
  onChange: () => void
  /** The key of an entry. @default `subscriptionKey(schema, id)` (a record) */
  keyOf?: ((schema: string, id: string) => string) | undefined
}

/** The reference-counted set of records a client keeps live. */
export interface SubscriptionSet<E extends SubscriptionEntry = SubscriptionEntry> {
  /** Adds a reference; returns its release function (idempotent). */
  add(schema: string, id: string, options?: { invalidate?: boolean }): () => void
  get(key: string): E | undefined
  entries(): E[]
  /** Drops everything at once, without reporting a change (the client is closing). */
  clear(): void
}

/**
 * Creates a subscription set. Mounting 100 components adds 100 references in one render;
 * they are reported as one change. Unmount followed by remount (route changes, React
 * StrictMode) is absorbed by the linger and reports nothing.
 */
export function createSubscriptionSet<E extends SubscriptionEntry = SubscriptionEntry>(
  options: SubscriptionSetOptions<E>,
): SubscriptionSet<E> {
  const create = options.create ?? ((entry: SubscriptionEntry) => entry as E)
  const keyOf = options.keyOf ?? subscriptionKey
  const entries = new Map<string, E>()
  const lingering = new Map<string, ReturnType<typeof setTimeout>>()
  let flushTimer: ReturnType<typeof setTimeout> | undefined
  let lastReportAt = -Infinity
  let generation = 0

  const changed = (): void => {
    if (flushTimer !== undefined) return
    const windowLeft = lastReportAt + (options.batchWindowMs ?? 0) - Date.now()
    flushTimer = setTimeout(
      () => {
        flushTimer = undefined
        lastReportAt = Date.now()
        options.onChange()
      },
      Math.max(options.batchDelayMs, windowLeft),
    )
  }

  const remove = (key: string): void => {
    lingering.delete(key)
    const entry = entries.get(key)
    if (entry === undefined || entry.refs > 0) return
    entries.delete(key)
    changed()
  }

  return {
    add(schema, id, { invalidate = false } = {}) {
      const key = keyOf(schema, id)
      let entry = entries.get(key)
      if (entry === undefined) {
        entry = create({ key, schema, id, refs: 0, invalidators: 0 })
        entries.set(key, entry)
        changed()
      }
      entry.refs += 1
      if (invalidate) entry.invalidators += 1
      const timer = lingering.get(key)
      if (timer !== undefined) {
        clearTimeout(timer)
        lingering.delete(key)
      }
      const held = entry
      const addedIn = generation
      let released = false
      return () => {
        if (released || addedIn !== generation) return
        released = true
        held.refs -= 1
        if (invalidate) held.invalidators -= 1
        if (held.refs === 0) {
          lingering.set(
            key,
            setTimeout(() => remove(key), options.lingerMs),
          )
        }
      }
    },
    get: (key) => entries.get(key),
    entries: () => [...entries.values()],
    clear() {
      generation += 1
      for (const timer of lingering.values()) clearTimeout(timer)
      lingering.clear()
      if (flushTimer !== undefined) clearTimeout(flushTimer)
      flushTimer = undefined
      entries.clear()
    },
  }
}
