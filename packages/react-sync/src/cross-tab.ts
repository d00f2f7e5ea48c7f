/**
 * One stream for all tabs of an origin. Browsers allow 6 HTTP/1.1 connections per origin
 * across all tabs, so one stream per tab stalls the app at the seventh tab.
 *
 * Every tab asks for the same Web Lock; the tab that holds it leads. Until the lock is
 * granted a tab is a follower (`cross-tab-follower.ts`); once granted, it is the leader
 * (`cross-tab-leader.ts`) until it closes. The leader runs the only stream, for the union of
 * every tab's records, and rebroadcasts what it receives on a BroadcastChannel.
 *
 *   follower ── {subs} ──► leader ── POST …/stream (union of all tabs) ──► gateway
 *   follower ◄── {event | status | synced | opened} ── leader ◄── events ──┘
 *
 * Tabs of different users (different share keys) use different locks and channels: they
 * never share a stream, so no tab sees records read with another user's token.
 *
 * A tab that closes or crashes releases its locks: the next tab in the lock queue becomes
 * leader, announces itself, the followers send their sets again, and the new stream
 * resumes every record from its `since`. The leader notices a follower that went away
 * because that follower's own per-tab lock becomes available.
 */
import { createFollower } from './cross-tab-follower.js'
import { createLeader, type LeaderConnectionBase } from './cross-tab-leader.js'
import { tabLock, type TabContext, type TabMessage, type TabRole } from './cross-tab-messages.js'
import type { Transport, TransportHost } from './transport.js'

/** Options for cross-tab sharing (see `SyncClientOptions.crossTab`). */
export interface CrossTabOptions {
  /** @default navigator.locks */
  locks?: LockManager | undefined
  /** @default globalThis.BroadcastChannel */
  BroadcastChannel?: typeof BroadcastChannel | undefined
}

/** True when both Web Locks and BroadcastChannel are available. */
export function canShareAcrossTabs(options: CrossTabOptions): boolean {
  return resolveLocks(options) !== undefined && resolveChannel(options) !== undefined
}

/**
 * Creates the transport; call only when {@link canShareAcrossTabs} is true. Only tabs with
 * the same `shareKey` (one identity, see `share-key.ts`) share locks, channel and stream.
 */
export function createCrossTabTransport(
  host: TransportHost,
  base: LeaderConnectionBase,
  options: CrossTabOptions,
  shareKey: string,
): Transport {
  const locks = resolveLocks(options)!
  const Channel = resolveChannel(options)!
  const name = `fdb-live:${base.http.gatewayUrl}:${base.http.tenant}:${encodeURIComponent(shareKey)}`
  const channel = new Channel(name)
  const stop = new AbortController()
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let announced = false

  const ctx: TabContext = {
    host,
    tab: randomId(),
    name,
    locks,
    stop: stop.signal,
    post: (message) => channel.postMessage(message),
  }
  let role: TabRole = createFollower(ctx, () => announced)
  channel.onmessage = (message: MessageEvent<TabMessage>) => role.onMessage(message.data)

  // Hold a per-tab lock for this tab's lifetime (so the leader can tell when it is gone),
  // and only then announce: the leader watches that lock as soon as it hears from us.
  locks
    .request(tabLock(name, ctx.tab), { signal: stop.signal }, () => {
      announced = true
      role.refresh()
      return released
    })
    .catch(() => {})
  locks
    .request(`${name}:leader`, { signal: stop.signal }, () => {
      if (stop.signal.aborted) return
      role = createLeader(ctx, base)
      return released
    })
    .catch(() => {})

  return {
    refresh: () => role.refresh(),
    close() {
      role.close()
      stop.abort()
      release()
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

function randomId(): string {
  const crypto = globalThis.crypto as { randomUUID?: () => string } | undefined
  return crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`
}
