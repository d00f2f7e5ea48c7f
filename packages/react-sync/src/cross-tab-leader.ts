import type { Version } from '@fdb-live/core'
import { createConnectionPool, type ConnectionPoolOptions } from './connection-pool.js'
import { tabLock, toWireError, type TabContext, type TabRole } from './cross-tab-messages.js'
import { createListRelay } from './cross-tab-lists.js'
import { keyOf, listKey } from './query-key.js'
import type {
  AnySubscription,
  CollectionErrorEvent,
  CollectionSubscription,
  KeyErrorEvent,
  ValueEvent,
} from './sync-events.js'
import { isCollectionEvent } from './sync-events.js'
import type { SyncStatus } from './sync-status.js'
import { newerVersion, olderVersion } from './version-order.js'

/** The connection options the leader's stream takes from the client. */
export type LeaderConnectionBase = Pick<
  ConnectionPoolOptions,
  'http' | 'reconnectBaseDelayMs' | 'reconnectMaxDelayMs' | 'idleTimeoutMs' | 'maxPerStream'
>

/**
 * The tab that holds the leader lock: it runs the only stream, for the union of every
 * tab's records, and rebroadcasts what it receives. Each record's `since` is the oldest any
 * tab has, so that the tab that is furthest behind catches up.
 */
export function createLeader(ctx: TabContext, base: LeaderConnectionBase): TabRole {
  const { host } = ctx
  const owners = new Map<string, AnySubscription[]>()
  const latest = new Map<string, ValueEvent>()
  // Records whose subscription failed on the current stream: a tab that joins one later
  // must get the error, not `synced`.
  const failed = new Map<string, KeyErrorEvent | CollectionErrorEvent>()
  const lists = createListRelay((tab, events) => ctx.post({ t: 'replay', tab, events }))
  const streamSynced = new Set<string>()
  // The `since` each record of the current stream request was sent with.
  const streamSince = new Map<string, Version | undefined>()
  let lastStatus: { status: SyncStatus; lastError: unknown } | undefined

  const merged = (): AnySubscription[] => {
    const byKey = new Map<string, AnySubscription>()
    const addOldest = (sub: AnySubscription): void => {
      const key = keyOf(sub)
      const seen = byKey.get(key)
      if (seen === undefined) byKey.set(key, { ...sub })
      else seen.since = olderVersion(seen.since, sub.since)
    }
    // A `since` of another store epoch than this request's orders nothing: left out.
    const epoch = host.epoch()
    const add = (sub: AnySubscription): void =>
      addOldest(epoch === undefined || sub.epoch === epoch ? sub : { ...sub, since: undefined })
    host.subscriptions().forEach(add)
    for (const subs of owners.values()) subs.forEach(add)
    for (const map of [latest, failed, streamSince]) {
      for (const key of map.keys()) if (!byKey.has(key)) map.delete(key)
    }
    for (const key of streamSynced) if (!byKey.has(key)) streamSynced.delete(key)
    lists.retain(new Set(byKey.keys()))
    for (const [key, sub] of byKey) {
      if (sub.id === undefined) sub.since = lists.since(sub, host.list?.(key))
      // Whatever this stream delivered was broadcast to every tab.
      else sub.since = newerVersion(latest.get(key)?.version, sub.since)
    }
    return [...byKey.values()]
  }

  // The gateway skipped (or will skip) this record's initial value because the stream asked
  // from a newer `since` than `sub` has, and no event since then can bring it up to date:
  // the stream must ask again from this older `since`.
  const isBehind = (sub: AnySubscription): boolean => {
    if (sub.id === undefined) return false
    const key = keyOf(sub)
    const asked = streamSince.get(key)
    return (
      latest.get(key) === undefined &&
      asked !== undefined &&
      sub.since !== undefined &&
      sub.since < asked
    )
  }

  const connection = createConnectionPool({
    ...base,
    subscriptions: merged,
    epoch: host.epoch,
    onHello(epoch) {
      // Another store: what this stream delivered before belongs to the old one.
      if (host.epoch() !== epoch) {
        latest.clear()
        lists.clear()
      }
      host.hello(epoch)
      ctx.post({ t: 'hello', epoch })
    },
    onOpening(subs) {
      // Several streams (over the per-stream limit) each report their own records.
      for (const sub of subs) streamSince.set(keyOf(sub), sub.since)
    },
    onEvent(event) {
      if (isCollectionEvent(event)) {
        if (event.type === 'collection-error') failed.set(listKey(event.schema, event.where), event)
        lists.onEvent(event)
      } else {
        const key = keyOf(event)
        if (event.type === 'value') latest.set(key, event)
        else failed.set(key, event)
      }
      host.deliver(event)
      ctx.post({ t: 'event', event })
    },
    onOpened(keys) {
      for (const key of keys) failed.delete(key)
      lists.opened(keys)
      host.opened(keys)
      ctx.post({ t: 'opened', keys: [...keys] })
    },
    onSynced(keys) {
      for (const key of keys) streamSynced.add(key)
      host.synced(keys)
      ctx.post({ t: 'synced', keys: [...keys] })
    },
    onStatus(status, lastError) {
      lastStatus = { status, lastError }
      host.status(status, lastError)
      ctx.post({ t: 'status', status, lastError: toWireError(lastError) })
    },
  })

  const dropTab = (other: string): void => {
    lists.dropTab(other)
    if (owners.delete(other)) connection.refresh()
  }

  const onSubs = (other: string, subs: AnySubscription[]): void => {
    if (!owners.has(other)) {
      // Granted only once the other tab has released its per-tab lock: it closed or crashed.
      ctx.locks
        .request(tabLock(ctx.name, other), { signal: ctx.stop }, () => dropTab(other))
        .catch(() => {})
      if (lastStatus !== undefined) {
        const { status, lastError } = lastStatus
        ctx.post({ t: 'status', status, lastError: toWireError(lastError) })
      }
    }
    owners.set(other, subs)
    const synced: string[] = []
    let behind = false
    const collections: CollectionSubscription[] = []
    for (const sub of subs) {
      const key = keyOf(sub)
      const error = failed.get(key)
      if (sub.id === undefined && error === undefined) {
        collections.push(sub)
        continue
      }
      const event = latest.get(key)
      // A tab that joins a record the stream already carries gets its value from here.
      if (error !== undefined) {
        ctx.post({ t: 'event', event: error })
        continue
      } else if (event !== undefined) {
        if (sub.since === undefined || sub.since < event.version) ctx.post({ t: 'event', event })
      } else if (isBehind(sub)) {
        behind = true
      }
      if (streamSynced.has(key)) synced.push(key)
    }
    if (synced.length > 0) ctx.post({ t: 'synced', keys: synced })
    lists.onTab(other, collections)
    connection.refresh(behind)
  }

  ctx.post({ t: 'leader', tab: ctx.tab })
  connection.refresh()
  return {
    onMessage(message) {
      if (message.t === 'subs') onSubs(message.tab, message.subs)
      else if (message.t === 'bye') dropTab(message.tab)
    },
    refresh() {
      connection.refresh(host.subscriptions().some(isBehind))
    },
    close() {
      connection.close()
    },
  }
}
