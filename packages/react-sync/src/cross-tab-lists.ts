/**
 * The leader's side of collections across tabs. A collection's events only make sense as a
 * sequence from a known version (a batch applies to the list as of the stream's `since`),
 * so a follower cannot simply pick up the broadcast mid-way as it does for a record's value.
 *
 * The leader keeps each collection's members as the stream delivered them (the same
 * `list-state.ts` a client uses). A follower that joins a collection ignores the broadcast
 * events of that collection until the leader sends it a replay of its own: only
 * `collection-synced` when the follower already has the leader's version, otherwise
 * `collection-reset`, every member and `collection-synced`. From then on it applies the
 * broadcast events, which continue from exactly that version. The replay crosses the
 * channel, not the network: the stream itself resumes from the collection's `since`.
 */
import type { Version } from '@fdb-live/core'
import { applyListEvent, createListState, type ListMember, type ListState } from './list-state.js'
import { listKey } from './query-key.js'
import type { CollectionEvent, CollectionSubscription, SyncWhere } from './sync-events.js'

/** A client's committed list: what a new leader starts from. */
export interface ListSnapshot {
  readonly members: readonly ListMember[]
  readonly version: Version
}

interface Tracked {
  readonly schema: string
  readonly where: SyncWhere
  readonly state: ListState
  /** Tabs that received a replay of this collection (so they apply the broadcast). */
  readonly joined: Set<string>
  /** Tabs that want this collection and wait for the first commit to get their replay. */
  readonly waiting: Map<string, Version | undefined>
}

/** What the leader does with collections. `send` posts a replay to one tab. */
export interface ListRelay {
  /**
   * The `since` to stream a collection from: the version the leader holds (every joined tab
   * has it too), else the leader tab's own list, which then seeds what the leader holds;
   * else none, so that the gateway sends the whole list (a `since` of another tab would
   * leave the leader without the members that did not change).
   */
  since(sub: CollectionSubscription, own: ListSnapshot | undefined): Version | undefined
  /** An event from the stream; returns nothing, replays go out through `send`. */
  onEvent(event: CollectionEvent): void
  /** A new stream is open for these keys: batches cut off are dropped. */
  opened(keys: readonly string[]): void
  /** A tab's set of collections (with its `since`); sends it a replay when the leader can. */
  onTab(tab: string, subs: readonly CollectionSubscription[]): void
  /** Forgets a tab that went away. */
  dropTab(tab: string): void
  /** Keeps only the collections still wanted by some tab. */
  retain(keys: ReadonlySet<string>): void
  /** The store epoch changed: nothing held orders anything now. */
  clear(): void
}

/** Creates the leader's relay; `send(tab, events)` posts a replay to one tab. */
export function createListRelay(send: (tab: string, events: CollectionEvent[]) => void): ListRelay {
  const lists = new Map<string, Tracked>()

  const track = (schema: string, where: SyncWhere, seed?: ListSnapshot): Tracked => {
    const key = listKey(schema, where)
    let tracked = lists.get(key)
    if (tracked === undefined || (seed !== undefined && tracked.state.version === undefined)) {
      const state = createListState(seed)
      tracked = {
        schema,
        where,
        state,
        joined: new Set(),
        waiting: tracked?.waiting ?? new Map<string, Version | undefined>(),
      }
      lists.set(key, tracked)
    }
    return tracked
  }

  const replay = (tracked: Tracked, tab: string, since: Version | undefined): void => {
    const { schema, where, state } = tracked
    if (state.version === undefined) return
    const events: CollectionEvent[] = []
    if (since !== state.version) {
      events.push({ type: 'collection-reset', schema, where })
      for (const { id, version, value } of state.sorted) {
        events.push({ type: 'collection-change', schema, where, id, version, value })
      }
    }
    events.push({ type: 'collection-synced', schema, where, version: state.version })
    send(tab, events)
    tracked.joined.add(tab)
    tracked.waiting.delete(tab)
  }

  return {
    since(sub, own) {
      const held = lists.get(listKey(sub.schema, sub.where))?.state.version
      if (held !== undefined) return held
      return own === undefined ? undefined : track(sub.schema, sub.where, own).state.version
    },
    onEvent(event) {
      const tracked = track(event.schema, event.where)
      if (event.type === 'collection-error') return
      const commit = applyListEvent(
        tracked.state,
        event.type === 'collection-reset'
          ? { type: 'reset' }
          : event.type === 'collection-change'
            ? { type: 'change', change: event }
            : { type: 'synced', version: event.version },
      )
      if (commit === undefined) return
      for (const [tab, since] of tracked.waiting) replay(tracked, tab, since)
    },
    opened(keys) {
      for (const key of keys) {
        const tracked = lists.get(key)
        if (tracked !== undefined) applyListEvent(tracked.state, { type: 'restart' })
      }
    },
    onTab(tab, subs) {
      const wanted = new Set<string>()
      for (const sub of subs) {
        const tracked = track(sub.schema, sub.where)
        wanted.add(listKey(sub.schema, sub.where))
        if (tracked.joined.has(tab)) continue
        if (tracked.state.version !== undefined && tracked.state.pending === undefined) {
          replay(tracked, tab, sub.since)
        } else {
          tracked.waiting.set(tab, sub.since)
        }
      }
      for (const [key, tracked] of lists) {
        if (wanted.has(key)) continue
        tracked.joined.delete(tab)
        tracked.waiting.delete(tab)
      }
    },
    dropTab(tab) {
      for (const tracked of lists.values()) {
        tracked.joined.delete(tab)
        tracked.waiting.delete(tab)
      }
    },
    retain(keys) {
      for (const key of lists.keys()) if (!keys.has(key)) lists.delete(key)
    },
    clear() {
      for (const tracked of lists.values()) {
        applyListEvent(tracked.state, { type: 'forget' })
        applyListEvent(tracked.state, { type: 'restart' })
      }
    },
  }
}
