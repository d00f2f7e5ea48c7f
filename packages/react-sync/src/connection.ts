/**
 * The one stream of a client: opens it, reopens it when the subscription set changes, and
 * reconnects with backoff when it fails.
 *
 *                       refresh() with records
 *        idle ─────────────────────────────────────────► opening ──── POST …/stream
 *         ▲  ◄──────── refresh() with no records ─────── │   ▲  ▲
 *         │                                              │   │  │ refresh() with other records:
 *         │                              `synced` event  ▼   │  │ abort and reopen (status kept)
 *         │                                             open ┘  │
 *         │             error, end of stream, no bytes  │       │
 *         │             for idleTimeoutMs               ▼       │ delay elapsed
 *         │                                          waiting ───┘ (backoff with jitter)
 *         │   window 'offline' (any state) ──► offline ──► window 'online' ──► opening
 *         └──── close() (any state) ──► closed
 *
 * Public status: `connecting` until the first `synced`, then `live`; `reconnecting` from a
 * failure until the next `synced`; `offline` while the browser says so. Every (re)open reads
 * the subscriptions afresh, so each record's `since` is the newest version the client has:
 * nothing is missed and nothing unchanged is re-sent.
 */
import { SyncError } from '@fdb-live/core'
import { backoffDelayMs } from './backoff.js'
import { errorFromResponse, requestHeaders, tenantUrl, type GatewayHttp } from './gateway-http.js'
import { subscriptionKey } from './query-key.js'
import { readEventStream } from './stream-reader.js'
import type { KeyEvent, Subscription } from './sync-events.js'

/** The state of a client's connection to the gateway, as shown to users. */
export type SyncStatus = 'connecting' | 'live' | 'reconnecting' | 'offline'

/** Options for {@link createConnection}. */
export interface ConnectionOptions {
  http: GatewayHttp
  /** The records to stream, with `since`; read at every (re)open. */
  subscriptions: () => Subscription[]
  onEvent: (event: KeyEvent) => void
  /** A stream is open for these records (subscription keys); previous errors may be retried. */
  onOpened: (keys: readonly string[]) => void
  /** The stream sent `synced` for these records. */
  onSynced: (keys: readonly string[]) => void
  onStatus: (status: SyncStatus, lastError: unknown) => void
  /** A request is about to go out with these subscriptions (and their `since`). */
  onOpening?: ((subscriptions: readonly Subscription[]) => void) | undefined
  /** First reconnect delay; the gateway's `retry:` hint when unset, else 1000. */
  reconnectBaseDelayMs: number | undefined
  reconnectMaxDelayMs: number
  /** A stream with no bytes (not even a heartbeat) for this long is treated as dead. */
  idleTimeoutMs: number
}

/** A running connection. */
export interface Connection {
  /**
   * The subscription set may have changed: reopen if the records differ from the open
   * stream's, or in any case with `reopen` (a `since` went backwards).
   */
  refresh(reopen?: boolean): void
  close(): void
}

type Phase = 'idle' | 'opening' | 'open' | 'waiting' | 'offline' | 'closed'

/** Creates a connection; it stays idle until {@link Connection.refresh} finds records. */
export function createConnection(options: ConnectionOptions): Connection {
  let phase: Phase = 'idle'
  let status: SyncStatus = 'connecting'
  let lastError: unknown
  let everSynced = false
  let generation = 0
  let attempt = 0
  let retryHintMs: number | undefined
  let abort: AbortController | undefined
  let streamKeys: string[] = []
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let idleTimer: ReturnType<typeof setTimeout> | undefined
  let refreshQueued = false
  let reopenQueued = false

  const setStatus = (next: SyncStatus): void => {
    if (next === status) return
    status = next
    options.onStatus(status, lastError)
  }

  // Like setStatus, but also reports a new lastError under an unchanged status.
  const report = (next: SyncStatus): void => {
    status = next
    options.onStatus(status, lastError)
  }

  const stopStream = (): void => {
    generation += 1
    abort?.abort()
    abort = undefined
    streamKeys = []
    if (retryTimer !== undefined) clearTimeout(retryTimer)
    if (idleTimer !== undefined) clearTimeout(idleTimer)
    retryTimer = idleTimer = undefined
  }

  const armIdle = (controller: AbortController): void => {
    if (idleTimer !== undefined) clearTimeout(idleTimer)
    idleTimer = setTimeout(() => {
      controller.abort(
        new SyncError(
          'store_unavailable',
          `No data from the gateway for ${options.idleTimeoutMs} ms.`,
        ),
      )
    }, options.idleTimeoutMs)
  }

  const fail = (error: unknown): void => {
    stopStream()
    lastError = error
    if (isOffline()) {
      phase = 'offline'
      report('offline')
      return
    }
    phase = 'waiting'
    const delay = backoffDelayMs(attempt, {
      baseDelayMs: options.reconnectBaseDelayMs ?? retryHintMs ?? 1000,
      maxDelayMs: options.reconnectMaxDelayMs,
    })
    attempt += 1
    retryTimer = setTimeout(() => {
      retryTimer = undefined
      open()
    }, delay)
    report('reconnecting')
  }

  const run = async (gen: number, controller: AbortController, subs: Subscription[]) => {
    try {
      const response = await options.http.fetch(tenantUrl(options.http, 'stream'), {
        method: 'POST',
        headers: await requestHeaders(options.http, {
          'content-type': 'application/json',
          accept: 'text/event-stream',
        }),
        body: JSON.stringify({ subscriptions: subs.map(toWire) }),
        signal: controller.signal,
        cache: 'no-store',
      })
      if (gen !== generation) return
      if (!response.ok) throw await errorFromResponse(response)
      if (response.body === null) throw new SyncError('internal', 'The stream has no body.')
      armIdle(controller)
      options.onOpened(streamKeys)
      await readEventStream(response.body, {
        onKeyEvent: (event) => {
          if (gen === generation) options.onEvent(event)
        },
        onSynced: () => {
          if (gen !== generation) return
          phase = 'open'
          attempt = 0
          everSynced = true
          setStatus('live')
          options.onSynced(streamKeys)
        },
        onRetry: (ms) => {
          retryHintMs = ms
        },
        onActivity: () => {
          if (gen === generation) armIdle(controller)
        },
      })
      throw new SyncError('store_unavailable', 'The gateway ended the stream.')
    } catch (error) {
      if (gen !== generation) return
      fail(controller.signal.aborted ? (controller.signal.reason as unknown) : error)
    }
  }

  const open = (): void => {
    const subs = options.subscriptions()
    if (subs.length === 0) {
      stopStream()
      phase = 'idle'
      setStatus(everSynced ? 'live' : 'connecting')
      return
    }
    stopStream()
    phase = 'opening'
    const gen = generation
    const controller = new AbortController()
    abort = controller
    streamKeys = subs.map((s) => subscriptionKey(s.schema, s.id))
    options.onOpening?.(subs)
    void run(gen, controller, subs)
  }

  const refreshNow = (reopen: boolean): void => {
    if (phase === 'closed' || phase === 'waiting' || phase === 'offline') return
    const keys = options.subscriptions().map((s) => subscriptionKey(s.schema, s.id))
    if (!reopen && phase !== 'idle' && sameKeys(keys, streamKeys)) return
    if (phase === 'idle' && keys.length === 0) return
    open()
  }

  const onOffline = (): void => {
    if (phase === 'closed') return
    stopStream()
    phase = 'offline'
    setStatus('offline')
  }
  const onOnline = (): void => {
    if (phase !== 'offline') return
    attempt = 0
    phase = 'idle'
    open()
  }
  globalThis.addEventListener?.('offline', onOffline)
  globalThis.addEventListener?.('online', onOnline)

  return {
    refresh(reopen = false) {
      // Coalesce refreshes from several sources in one task (e.g. several tabs' sets).
      reopenQueued ||= reopen
      if (refreshQueued) return
      refreshQueued = true
      queueMicrotask(() => {
        const force = reopenQueued
        refreshQueued = reopenQueued = false
        refreshNow(force)
      })
    },
    close() {
      stopStream()
      phase = 'closed'
      globalThis.removeEventListener?.('offline', onOffline)
      globalThis.removeEventListener?.('online', onOnline)
    },
  }
}

function toWire(sub: Subscription): Subscription {
  return sub.since === undefined ? { schema: sub.schema, id: sub.id } : sub
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  const set = new Set(b)
  return a.every((key) => set.has(key))
}

function isOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false
}
