/**
 * The one stream of a client: the driver of the reducer in `connection-state.ts`. It turns
 * fetch outcomes, timers and the browser's online/offline events into events, and after
 * each transition reconciles the world with the state: starts the request the state asks
 * for, aborts one the state no longer wants, arms the backoff timer while `waiting`.
 *
 * The idle timer runs from the moment a request goes out: a request that never gets
 * response headers (a black-holed connection, a stuck proxy) fails like a silent stream.
 */
import { SyncError, isSyncError } from '@fdb-live/core'
import { backoffDelayMs } from './backoff.js'
import {
  initialConnectionState,
  isActive,
  transition,
  type ConnectionEvent,
  type ConnectionState,
} from './connection-state.js'
import type { GatewayHttp } from './gateway-http.js'
import { keyOf } from './query-key.js'
import { RateLimited, requestStream, StreamRefused } from './stream-request.js'
import type { AnySubscription, StreamEvent } from './sync-events.js'
import type { SyncStatus } from './sync-status.js'

/** Options for {@link createConnection}. */
export interface ConnectionOptions {
  http: GatewayHttp
  /** The records and collections to stream, with `since`; read at every (re)open. */
  subscriptions: () => AnySubscription[]
  /** The store epoch the client's versions come from, sent with each request. */
  epoch?: (() => string | undefined) | undefined
  onEvent: (event: StreamEvent) => void
  /** The stream's `hello`: the store's epoch. Comes before any `value`. */
  onHello?: ((epoch: string) => void) | undefined
  /** A stream is open for these records (subscription keys); previous errors may be retried. */
  onOpened: (keys: readonly string[]) => void
  /** The stream sent `synced` for these records. */
  onSynced: (keys: readonly string[]) => void
  onStatus: (status: SyncStatus, lastError: unknown) => void
  /** A request is about to go out with these subscriptions (and their `since`). */
  onOpening?: ((subscriptions: readonly AnySubscription[]) => void) | undefined
  /** First reconnect delay; the gateway's `retry:` hint when unset, else 1000. */
  reconnectBaseDelayMs: number | undefined
  reconnectMaxDelayMs: number
  /** A request or stream with no bytes (not even headers or a heartbeat) for this long is dead. */
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

/** Creates a connection; it stays idle until {@link Connection.refresh} finds records. */
export function createConnection(options: ConnectionOptions): Connection {
  let state: ConnectionState = initialConnectionState
  let running: { request: number; abort: AbortController } | undefined
  let streamKeys: string[] = []
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let idleTimer: ReturnType<typeof setTimeout> | undefined
  let refreshQueued = false
  let reopenQueued = false

  const dispatch = (event: ConnectionEvent): void => {
    const prev = state
    state = transition(prev, event)
    if (state === prev) return
    reconcile(prev)
    if (state.status !== prev.status || state.lastError !== prev.lastError) {
      options.onStatus(state.status, state.lastError)
    }
  }

  const reconcile = (prev: ConnectionState): void => {
    if (running !== undefined && (running.request !== state.request || !isActive(state.phase))) {
      running.abort.abort()
      running = undefined
      clearTimeout(idleTimer)
    }
    if (state.phase === 'requesting' && running === undefined) start(state.request)
    if (state.phase === 'waiting' && prev.phase !== 'waiting') {
      const delay =
        state.retryAfterMs ??
        backoffDelayMs(state.failures - 1, {
          baseDelayMs: options.reconnectBaseDelayMs ?? state.retryHintMs ?? 1000,
          maxDelayMs: options.reconnectMaxDelayMs,
        })
      retryTimer = setTimeout(() => {
        retryTimer = undefined
        if (options.subscriptions().length === 0) dispatch({ type: 'empty' })
        else dispatch({ type: 'retryDue' })
      }, delay)
    }
    if (state.phase !== 'waiting' && retryTimer !== undefined) {
      clearTimeout(retryTimer)
      retryTimer = undefined
    }
  }

  const armIdle = (request: number): void => {
    clearTimeout(idleTimer)
    idleTimer = setTimeout(() => {
      const error = new SyncError(
        'store_unavailable',
        `No answer from the gateway for ${options.idleTimeoutMs} ms.`,
      )
      dispatch({ type: 'failed', request, error })
    }, options.idleTimeoutMs)
  }

  const start = (request: number): void => {
    const subs = options.subscriptions()
    const abort = new AbortController()
    running = { request, abort }
    streamKeys = subs.map(keyOf)
    options.onOpening?.(subs)
    armIdle(request)
    void run(request, abort.signal, subs, streamKeys, state.refreshToken)
  }

  const run = async (
    request: number,
    signal: AbortSignal,
    subs: AnySubscription[],
    keys: readonly string[],
    refreshToken: boolean,
  ): Promise<void> => {
    const isCurrent = (): boolean => state.request === request && isActive(state.phase)
    const epoch = options.epoch?.()
    try {
      await requestStream(options.http, { subscriptions: subs, epoch, refreshToken }, signal, {
        onHeaders: () => {
          if (!isCurrent()) return
          armIdle(request)
          dispatch({ type: 'headers', request })
          options.onOpened(keys)
        },
        onKeyEvent: (event) => {
          if (!isCurrent()) return
          options.onEvent(event)
          // A gateway that is shutting down may still accept a stream, then fail its
          // subscriptions with `store_closed` and send nothing more: reconnect (with backoff)
          // to the gateway that replaces it instead of staying on a dead stream.
          const failed = event.type === 'error' || event.type === 'collection-error'
          if (failed && event.code === 'store_closed') {
            dispatch({
              type: 'failed',
              request,
              error: new SyncError('store_closed', event.message),
            })
          }
        },
        onHello: (epoch) => {
          if (isCurrent()) options.onHello?.(epoch)
        },
        onSynced: () => {
          if (!isCurrent()) return
          dispatch({ type: 'synced', request })
          options.onSynced(keys)
        },
        onRetry: (ms) => dispatch({ type: 'retryHint', ms }),
        onActivity: () => {
          if (isCurrent()) armIdle(request)
        },
      })
    } catch (error) {
      if (!isCurrent()) return
      if (error instanceof StreamRefused) {
        dispatch({ type: 'refused', request, error: error.error })
        // Each record gets the error (the user sees which limit the page hit); the same
        // request is not sent again until the set of records changes.
        const { code, message } = error.error
        for (const sub of subs) {
          const { schema } = sub
          options.onEvent(
            sub.id === undefined
              ? { type: 'collection-error', schema, where: sub.where, code, message }
              : { type: 'error', schema, id: sub.id, code, message },
          )
        }
        return
      }
      if (error instanceof RateLimited) {
        const { retryAfterMs } = error
        dispatch({ type: 'rateLimited', request, error: error.error, retryAfterMs })
        return
      }
      if (isSyncError(error) && error.code === 'token_expired') {
        // Reopened at once with a new token; `since` and the epoch are read again then.
        dispatch({ type: 'tokenExpired', request })
        return
      }
      dispatch({ type: 'failed', request, error })
      if (isOffline()) dispatch({ type: 'offline' })
    }
  }

  const refreshNow = (reopen: boolean): void => {
    const keys = options.subscriptions().map(keyOf)
    if (keys.length === 0) {
      if (state.phase !== 'idle') dispatch({ type: 'empty' })
      return
    }
    const sameSet = state.phase !== 'idle' && sameKeys(keys, streamKeys)
    if (sameSet && !(reopen && isActive(state.phase))) return
    dispatch({ type: 'open' })
  }

  const onOffline = (): void => dispatch({ type: 'offline' })
  const onOnline = (): void => {
    dispatch({ type: 'online' })
    refreshNow(true)
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
      dispatch({ type: 'close' })
      running?.abort.abort()
      running = undefined
      clearTimeout(idleTimer)
      clearTimeout(retryTimer)
      globalThis.removeEventListener?.('offline', onOffline)
      globalThis.removeEventListener?.('online', onOnline)
    },
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  const set = new Set(b)
  return a.every((key) => set.has(key))
}

function isOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false
}
