/**
 * One collection's members as a client holds them (docs/protocol.md, "Collections").
 *
 *            collection-reset / collection-change
 *   committed ─────────────────────────────────────► receiving a batch (pending)
 *       ▲                                                   │
 *       └────────────── collection-synced (commit) ─────────┘
 *       ▲                                                   │
 *       └────────── restart (a new stream: the batch is dropped, it will come again)
 *
 * Events are gathered and applied only at `collection-synced`, so the list is always shown
 * at one version of the collection: never half a reset (an empty list while the members
 * arrive), never half a batch. The committed version is the next stream's `since`; a batch
 * cut off by a failed stream is dropped, and the gateway resends it from that `since`.
 *
 * A change is applied only when it is newer than the member held (version-monotonic): a
 * stream resumed from an older `since` (another tab's, cross-tab) re-sends changes the list
 * already has, and they change nothing.
 */
import type { Version } from '@fdb-live/core'
import { compareIds } from './id-order.js'

/** One member of a collection: the record's id, version and value. */
export interface ListMember<T = unknown> {
  readonly id: string
  readonly version: Version
  readonly value: T
}

/** What a client holds for one collection. Mutated in place by {@link applyListEvent}. */
export interface ListState {
  /** Committed members by id. */
  members: Map<string, ListMember>
  /** The committed members in ascending id order (UTF-8 bytes, the store's key order). */
  sorted: readonly ListMember[]
  /** The last `collection-synced` version: the next `since`. `undefined`: none yet. */
  version: Version | undefined
  /** The batch being received, until its `collection-synced`. */
  pending: { reset: boolean; changes: Map<string, PendingChange> } | undefined
}

/** A change as received: `value: null` means the member left. */
export interface PendingChange {
  readonly id: string
  readonly version: Version
  readonly value: unknown
}

/** What can happen to a collection's state. */
export type ListStateEvent =
  | { type: 'reset' }
  | { type: 'change'; change: PendingChange }
  | { type: 'synced'; version: Version }
  /** A new stream starts: a batch cut off by the old one is dropped (it is sent again). */
  | { type: 'restart' }
  /** The store epoch changed: the version orders nothing now; the next batch is a reset. */
  | { type: 'forget' }

/** What a commit changed: for the record cache entries and listeners. */
export interface ListCommit {
  /** The batch was a reset (the member list was replaced). */
  readonly reset: boolean
  /** Members that joined or changed, at their new version. */
  readonly changed: readonly ListMember[]
  /** Members that left, at the version of their removal. */
  readonly left: readonly { id: string; version: Version }[]
  /** The collection's version after the commit. */
  readonly version: Version
}

/** An empty state, or one seeded with members known at `version` (a cache entry, SSR). */
export function createListState(seed?: {
  members: readonly ListMember[]
  version: Version
}): ListState {
  const sorted = seed === undefined ? [] : [...seed.members].sort((a, b) => compareIds(a.id, b.id))
  return {
    members: new Map(sorted.map((m) => [m.id, m])),
    sorted,
    version: seed?.version,
    pending: undefined,
  }
}

/** Applies one event; returns the commit when a batch was applied (`synced`). */
export function applyListEvent(state: ListState, event: ListStateEvent): ListCommit | undefined {
  switch (event.type) {
    case 'reset':
      state.pending = { reset: true, changes: new Map() }
      return undefined
    case 'change': {
      state.pending ??= { reset: false, changes: new Map() }
      const { changes } = state.pending
      const seen = changes.get(event.change.id)
      if (seen === undefined || seen.version <= event.change.version) {
        // Re-inserted so that the batch keeps version order.
        changes.delete(event.change.id)
        changes.set(event.change.id, event.change)
      }
      return undefined
    }
    case 'synced':
      return commit(state, event.version)
    case 'restart':
      state.pending = undefined
      return undefined
    case 'forget':
      state.version = undefined
      return undefined
  }
}

function commit(state: ListState, version: Version): ListCommit {
  const pending = state.pending ?? { reset: false, changes: new Map<string, PendingChange>() }
  state.pending = undefined
  const changed: ListMember[] = []
  const left: { id: string; version: Version }[] = []
  let membership = pending.reset
  if (pending.reset) {
    const members = new Map<string, ListMember>()
    for (const change of pending.changes.values()) {
      if (change.value === null) continue
      const held = state.members.get(change.id)
      // Same id and version: the same member; keep its object (React keeps the row).
      const member = held?.version === change.version ? held : toMember(change)
      members.set(member.id, member)
      if (member !== held) changed.push(member)
    }
    state.members = members
  } else {
    for (const change of pending.changes.values()) {
      const held = state.members.get(change.id)
      if (held !== undefined && change.version <= held.version) continue
      if (change.value === null) {
        if (held === undefined) continue
        state.members.delete(change.id)
        left.push({ id: change.id, version: change.version })
        membership = true
      } else {
        const member = toMember(change)
        state.members.set(member.id, member)
        changed.push(member)
        if (held === undefined) membership = true
      }
    }
  }
  if (membership) {
    state.sorted = [...state.members.values()].sort((a, b) => compareIds(a.id, b.id))
  } else if (changed.length > 0) {
    state.sorted = state.sorted.map((m) => state.members.get(m.id) ?? m)
  }
  // A resumed stream never moves the collection backwards (a reset may: another epoch).
  if (pending.reset || state.version === undefined || version > state.version) {
    state.version = version
  }
  return { reset: pending.reset, changed, left, version: state.version }
}

function toMember(change: PendingChange): ListMember {
  return { id: change.id, version: change.version, value: change.value }
}
