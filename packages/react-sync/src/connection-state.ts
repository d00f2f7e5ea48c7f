/**
 * The connection's state machine as a pure reducer: `transition(state, event)` returns the
 * next state and does nothing else. The driver (`connection.ts`) owns fetch and timers and
 * reconciles them with the state after each transition (TanStack Query's `Query.#dispatch`).
 *
 *                 open                      headers                 synced
 *   idle ───────────────────► requesting ───────────► streaming ───────────► live
 *    ▲                          │  ▲  ▲                   │                   │
 *    │ empty (any state)        │  │  │ retryDue          │ failed            │ failed
 *    │                          │  │  └──── waiting ◄─────┴───────────────────┘
 *    │                 refused  │  │ open (another set)  (backoff; base = the `retry:` hint)
 *    │                          ▼  │
 *    │                        refused (a 4xx: not retried until the set changes)
 *    │   offline (any state) ──► offline ──► online ──► idle (the driver then opens)
 *    │   rateLimited (a 429): waiting, for the gateway's `Retry-After` instead of the backoff
 *    │   tokenExpired (streaming, live): requesting at once, with a new token, no backoff
 *    └── close (any state) ──► closed (final)
 *
 * `request` counts requests: a new value means "start a new request" to the driver, and
 * events of an older request (`request` field) are ignored here, so a late answer of an
 * aborted request cannot change anything.
 */
import type { SyncStatus } from './sync-status.js'

/** Where the connection is (see the diagram above). */
export type ConnectionPhase =
  'idle' | 'requesting' | 'streaming' | 'live' | 'waiting' | 'refused' | 'offline' | 'closed'

/** Everything the connection knows; replaced, never mutated. */
export interface ConnectionState {
  readonly phase: ConnectionPhase
  /** The status users see (`useSyncStatus`). */
  readonly status: SyncStatus
  readonly lastError: unknown
  /** Whether any stream ever reached `synced`: `connecting` before, `reconnecting` after. */
  readonly everSynced: boolean
  /** Failures since the last `synced`: the backoff's exponent. */
  readonly failures: number
  /** The gateway's `retry:` hint, the backoff's base unless the client sets one. */
  readonly retryHintMs: number | undefined
  /** The current request's number. */
  readonly request: number
  /** While `waiting` after a 429: the gateway's `Retry-After`, used instead of the backoff. */
  readonly retryAfterMs: number | undefined
  /** The stream's token expired: the next request asks `getToken` for a new one first. */
  readonly refreshToken: boolean
}

/** What can happen to a connection. `request` names the request an outcome belongs to. */
export type ConnectionEvent =
  | { type: 'open' }
  | { type: 'empty' }
  | { type: 'headers'; request: number }
  | { type: 'synced'; request: number }
  | { type: 'retryHint'; ms: number }
  /** A network error, a 5xx, an end of stream or an idle timeout: retried with backoff. */
  | { type: 'failed'; request: number; error: unknown }
  /** The gateway refused the request itself (a 4xx other than 408 and 429). */
  | { type: 'refused'; request: number; error: unknown }
  /** 429 `rate_limited`: wait the gateway's `Retry-After` (when it sent one), then retry. */
  | { type: 'rateLimited'; request: number; error: unknown; retryAfterMs: number | undefined }
  /** The stream's token expired (`token_expired`): reopen at once with a new token. */
  | { type: 'tokenExpired'; request: number }
  | { type: 'retryDue' }
  | { type: 'offline' }
  | { type: 'online' }
  | { type: 'close' }

/** The state of a new connection. */
export const initialConnectionState: ConnectionState = {
  phase: 'idle',
  status: 'connecting',
  lastError: undefined,
  everSynced: false,
  failures: 0,
  retryHintMs: undefined,
  request: 0,
  retryAfterMs: undefined,
  refreshToken: false,
}

const ACTIVE: ReadonlySet<ConnectionPhase> = new Set(['requesting', 'streaming', 'live'])

/** True while a request or stream is running. */
export function isActive(phase: ConnectionPhase): boolean {
  return ACTIVE.has(phase)
}

/**
 * Whether an HTTP error status refuses the request itself (a 4xx other than 408 and 429):
 * sending it again unchanged would fail again, so it is not retried with backoff.
 */
export function isRefusal(httpStatus: number): boolean {
  return httpStatus >= 400 && httpStatus < 500 && httpStatus !== 408 && httpStatus !== 429
}

/** The next state; `state` itself when the event changes nothing. */
export function transition(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  if (state.phase === 'closed') return state
  switch (event.type) {
    case 'open':
      if (state.phase === 'waiting' || state.phase === 'offline') return state
      return {
        ...state,
        phase: 'requesting',
        request: state.request + 1,
        status: state.phase === 'refused' ? pendingStatus(state) : state.status,
      }
    case 'empty':
      if (state.phase === 'offline') return state
      return { ...state, phase: 'idle', status: state.everSynced ? 'live' : 'connecting' }
    case 'headers':
      if (!current(state, event.request) || state.phase !== 'requesting') return state
      return { ...state, phase: 'streaming', refreshToken: false }
    case 'synced':
      if (!current(state, event.request) || state.phase !== 'streaming') return state
      return { ...state, phase: 'live', status: 'live', everSynced: true, failures: 0 }
    case 'retryHint':
      return state.retryHintMs === event.ms ? state : { ...state, retryHintMs: event.ms }
    case 'failed':
    case 'rateLimited':
      if (!current(state, event.request) || !isActive(state.phase)) return state
      return {
        ...state,
        phase: 'waiting',
        status: pendingStatus(state),
        lastError: event.error,
        failures: state.failures + 1,
        // A 429's Retry-After replaces the backoff for this wait; any other failure backs off.
        retryAfterMs: event.type === 'rateLimited' ? event.retryAfterMs : undefined,
      }
    case 'tokenExpired':
      if (!current(state, event.request) || (state.phase !== 'streaming' && state.phase !== 'live'))
        return state
      // Not a failure: the token's lifetime ended, nothing is wrong with the gateway.
      return { ...state, phase: 'requesting', request: state.request + 1, refreshToken: true }
    case 'refused':
      if (!current(state, event.request) || !isActive(state.phase)) return state
      return { ...state, phase: 'refused', status: 'error', lastError: event.error }
    case 'retryDue':
      if (state.phase !== 'waiting') return state
      return { ...state, phase: 'requesting', request: state.request + 1 }
    case 'offline':
      return state.phase === 'offline' ? state : { ...state, phase: 'offline', status: 'offline' }
    case 'online':
      if (state.phase !== 'offline') return state
      return { ...state, phase: 'idle', status: pendingStatus(state), failures: 0 }
    case 'close':
      return { ...state, phase: 'closed' }
  }
}

function current(state: ConnectionState, request: number): boolean {
  return request === state.request
}

function pendingStatus(state: ConnectionState): SyncStatus {
  return state.everSynced ? 'reconnecting' : 'connecting'
}
