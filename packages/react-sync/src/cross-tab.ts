/**
 * One stream for all tabs of an origin. Browsers allow 6 HTTP/1.1 connections per origin
 * across all tabs, so one stream per tab stalls the app at the seventh tab.
 *
 * Every tab asks for the same Web Lock; the tab that holds it leads. The leader runs the
 * only stream, for the union of every tab's records, and rebroadcasts what it receives on
 * a BroadcastChannel. Followers send their record sets (with `since`) to the leader.
 *
 *   follower ── {subs} ──► leader ── POST …/stream (union of all tabs) ──► gateway
 *   follower ◄── {event | status | synced | opened} ── leader ◄── events ──┘
 *
 * A tab that closes or crashes releases its locks: the next tab in the lock queue becomes
 * leader, announces itself, the followers send their sets again, and the new stream
 * resumes every record from its `since`. The leader notices a follower that went away
 * because that follower's own per-tab lock becomes available.
 */
import { SyncError, isSyncErrorCode, type Version } from '@fdb-live/core'
import { createConnection, type ConnectionOptions } from './connection.js'
import type { SyncStatus } from './sync-status.js'
import { subscriptionKey } from './query-key.js'
import type { KeyEvent, Subscription, ValueEvent } from './sync-events.js'
import type { Transport, TransportHost } from './transport.js'
import { newerVersion, olderVersion } from './version-order.js'

/** Options for cross-tab sharing (see `SyncClientOptions.crossTab`). */
export interface CrossTabOptions {
  /** @default navigator.locks */
  locks?: LockManager | undefined
  /** @default globalThis.BroadcastChannel */
  BroadcastChannel?: typeof BroadcastChannel | undefined
}

type ConnectionBase = Pick<
  ConnectionOptions,
  'http' | 'reconnectBaseDelayMs' | 'reconnectMaxDelayMs' | 'idleTimeoutMs'
>

interface WireError {
  code: string | undefined
  message: string
}

type Message =
  | { t: 'subs'; tab: string; subs: Subscription[] }
  | { t: 'bye'; tab: string }
  | { t: 'leader'; tab: string }
  | { t: 'event'; event: KeyEvent }
  | { t: 'status'; status: SyncStatus; lastError: WireError | undefined }
  | { t: 'synced'; keys: string[] }
  | { t: 'opened'; keys: string[] }

/** True when both Web Locks and BroadcastChannel are available. */
export function canShareAcrossTabs(options: CrossTabOptions): boolean {
  return resolveLocks(options) !== undefined && resolveChannel(options) !== undefined
}

/** Creates the transport; call only when {@link canShareAcrossTabs} is true. */
export function createCrossTabTransport(
  host: TransportHost,
  base: ConnectionBase,
  options: CrossTabOptions,
): Transport {
  const locks = resolveLocks(options)!
  const Channel = resolveChannel(options)!
  const name = `fdb-live:${base.http.gatewayUrl}:${base.http.tenant}`
  const tab = randomId()
  const channel = new Channel(name)
  const stop = new AbortController()
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let announced = false

  // Leader state.
  let connection: ReturnType<typeof createConnection> | undefined
  const owners = new Map<string, Subscription[]>()
  const latest = new Map<string, ValueEvent>()
  let streamSynced = new Set<string>()
  // The `since` each record of the current stream request was sent with.
  let streamSince = new Map<string, Version | undefined>()
  let lastStatus: { status: SyncStatus; lastError: unknown } | undefined

  const post = (message: Message): void => channel.postMessage(message)
  const announce = (): void => {
    if (announced && connection === undefined) post({ t: 'subs', tab, subs: host.subscriptions() })
  }

  const merged = (): Subscription[] => {
    const byKey = new Map<string, Subscription>()
    const add = (sub: Subscription): void => {
      const key = subscriptionKey(sub.schema, sub.id)
      const seen = byKey.get(key)
      // The oldest `since` of all tabs, so that the tab that is furthest behind catches up.
      if (seen === undefined) byKey.set(key, { ...sub })
      else seen.since = olderVersion(seen.since, sub.since)
    }
    host.subscriptions().forEach(add)
    for (const subs of owners.values()) subs.forEach(add)
    for (const key of latest.keys()) if (!byKey.has(key)) latest.delete(key)
    // Whatever this stream delivered was broadcast to every tab.
    for (const [key, sub] of byKey) sub.since = newerVersion(latest.get(key)?.version, sub.since)
    return [...byKey.values()]
  }

  // The gateway skipped (or will skip) this record's initial value because the stream asked
  // from a newer `since` than `sub` has, and no event since then can bring it up to date:
  // the stream must ask again from this older `since`.
  const isBehind = (sub: Subscription): boolean => {
    const key = subscriptionKey(sub.schema, sub.id)
    const asked = streamSince.get(key)
    return (
      latest.get(key) === undefined &&
      asked !== undefined &&
      sub.since !== undefined &&
      sub.since < asked
    )
  }

  const dropTab = (other: string): void => {
    if (owners.delete(other)) connection?.refresh()
  }

  const watchTab = (other: string): void => {
    // Granted only once the other tab has released its per-tab lock: it closed or crashed.
    locks
      .request(tabLock(name, other), { signal: stop.signal }, () => dropTab(other))
      .catch(() => {})
  }

  const onSubs = (other: string, subs: Subscription[]): void => {
    if (!owners.has(other)) {
      watchTab(other)
      if (lastStatus !== undefined) {
        post({
          t: 'status',
          status: lastStatus.status,
          lastError: toWireError(lastStatus.lastError),
        })
      }
    }
    owners.set(other, subs)
    const synced: string[] = []
    let behind = false
    for (const sub of subs) {
      const key = subscriptionKey(sub.schema, sub.id)
      const event = latest.get(key)
      // A tab that joins a record the stream already carries gets its value from here.
      if (event !== undefined) {
        if (sub.since === undefined || sub.since < event.version) post({ t: 'event', event })
      } else if (isBehind(sub)) {
        behind = true
      }
      if (streamSynced.has(key)) synced.push(key)
    }
    if (synced.length > 0) post({ t: 'synced', keys: synced })
    connection?.refresh(behind)
  }

  const lead = (): Promise<void> => {
    if (stop.signal.aborted) return Promise.resolve()
    connection = createConnection({
      ...base,
      subscriptions: merged,
      onOpening(subs) {
        streamSince = new Map(subs.map((sub) => [subscriptionKey(sub.schema, sub.id), sub.since]))
      },
      onEvent(event) {
        if (event.type === 'value') latest.set(subscriptionKey(event.schema, event.id), event)
        host.deliver(event)
        post({ t: 'event', event })
      },
      onOpened(keys) {
        host.opened(keys)
        post({ t: 'opened', keys: [...keys] })
      },
      onSynced(keys) {
        streamSynced = new Set(keys)
        host.synced(keys)
        post({ t: 'synced', keys: [...keys] })
      },
      onStatus(status, lastError) {
        lastStatus = { status, lastError }
        host.status(status, lastError)
        post({ t: 'status', status, lastError: toWireError(lastError) })
      },
    })
    post({ t: 'leader', tab })
    connection.refresh()
    return released
  }

  channel.onmessage = (message: MessageEvent<Message>) => {
    const data = message.data
    switch (data.t) {
      case 'subs':
        if (connection !== undefined) onSubs(data.tab, data.subs)
        return
      case 'bye':
        dropTab(data.tab)
        return
      case 'leader':
        announce()
        return
      case 'event':
        if (connection === undefined) host.deliver(data.event)
        return
      case 'status':
        if (connection === undefined) host.status(data.status, fromWireError(data.lastError))
        return
      case 'synced':
        if (connection === undefined) host.synced(data.keys)
        return
      case 'opened':
        if (connection === undefined) host.opened(data.keys)
        return
    }
  }

  // Hold a per-tab lock for this tab's lifetime (so the leader can tell when it is gone),
  // and only then announce: the leader watches that lock as soon as it hears from us.
  locks
    .request(tabLock(name, tab), { signal: stop.signal }, () => {
      announced = true
      announce()
      return released
    })
    .catch(() => {})
  locks.request(`${name}:leader`, { signal: stop.signal }, lead).catch(() => {})

  return {
    refresh() {
      if (connection !== undefined) connection.refresh(host.subscriptions().some(isBehind))
      else announce()
    },
    close() {
      if (connection === undefined && announced) post({ t: 'bye', tab })
      stop.abort()
      release()
      connection?.close()
      connection = undefined
      channel.close()
    },
  }
}

function resolveLocks(options: CrossTabOptions): LockManager | undefined {
  if (options.locks !== undefined) return options.locks
  // Absent in jsdom, Node and older browsers, whatever the DOM types say.
  const nav = globalThis.navigator as { locks?: LockManager } | undefined
  return nav?.locks
}

function resolveChannel(options: CrossTabOptions): typeof BroadcastChannel | undefined {
  const global = globalThis as { BroadcastChannel?: typeof BroadcastChannel }
  return options.BroadcastChannel ?? global.BroadcastChannel
}

function tabLock(name: string, tab: string): string {
  return `${name}:tab:${tab}`
}

function randomId(): string {
  const crypto = globalThis.crypto as { randomUUID?: () => string } | undefined
  return crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`
}

function toWireError(error: unknown): WireError | undefined {
  if (error === undefined) return undefined
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined
  return {
    code: typeof code === 'string' ? code : undefined,
    message: error instanceof Error ? error.message : JSON.stringify(error),
  }
}

function fromWireError(error: WireError | undefined): unknown {
  if (error === undefined) return undefined
  return isSyncErrorCode(error.code)
    ? new SyncError(error.code, error.message)
    : new Error(error.message)
}
