import { SyncError } from '@fdb-live/core'
import { describe, expect, test } from 'vitest'
import {
  initialConnectionState,
  isRefusal,
  transition,
  type ConnectionEvent,
  type ConnectionPhase,
  type ConnectionState,
} from './connection-state.js'

// One representative state per phase; the current request is 1.
const base = { ...initialConnectionState, request: 1 }
const states: Record<ConnectionPhase, ConnectionState> = {
  idle: { ...base, phase: 'idle' },
  requesting: { ...base, phase: 'requesting' },
  streaming: { ...base, phase: 'streaming' },
  live: { ...base, phase: 'live', status: 'live', everSynced: true },
  waiting: { ...base, phase: 'waiting', status: 'reconnecting', everSynced: true, failures: 1 },
  refused: { ...base, phase: 'refused', status: 'error' },
  offline: { ...base, phase: 'offline', status: 'offline', everSynced: true },
  closed: { ...base, phase: 'closed' },
}

const serverError = new SyncError('store_unavailable', 'HTTP 503')
const idleTimeout = new SyncError('store_unavailable', 'No answer from the gateway for 45000 ms.')
const tooMany = new SyncError('too_many_subscriptions', '1001 subscriptions; the limit is 1000.')
const rateLimited = new SyncError('rate_limited', 'Too many streams for this principal.')
const events = {
  open: { type: 'open' },
  empty: { type: 'empty' },
  headers: { type: 'headers', request: 1 },
  synced: { type: 'synced', request: 1 },
  retryHint: { type: 'retryHint', ms: 2000 },
  '5xx': { type: 'failed', request: 1, error: serverError },
  idleTimeout: { type: 'failed', request: 1, error: idleTimeout },
  '4xx': { type: 'refused', request: 1, error: tooMany },
  '429': { type: 'rateLimited', request: 1, error: rateLimited, retryAfterMs: 3000 },
  tokenExpired: { type: 'tokenExpired', request: 1 },
  retryDue: { type: 'retryDue' },
  offline: { type: 'offline' },
  online: { type: 'online' },
  close: { type: 'close' },
} satisfies Record<string, ConnectionEvent>
type EventName = keyof typeof events

// Each cell: the next `phase:status`, or '-' when the event changes nothing. (The driver
// reads `retryHint` into the backoff; it never changes phase or status.)
const table: Record<ConnectionPhase, Record<EventName, string>> = {
  // prettier-ignore
  idle: { open: 'requesting:connecting', empty: 'idle:connecting', headers: '-', synced: '-', retryHint: 'idle:connecting', '5xx': '-', idleTimeout: '-', '4xx': '-', '429': '-', tokenExpired: '-', retryDue: '-', offline: 'offline:offline', online: '-', close: 'closed:connecting' },
  // prettier-ignore
  requesting: { open: 'requesting:connecting', empty: 'idle:connecting', headers: 'streaming:connecting', synced: '-', retryHint: 'requesting:connecting', '5xx': 'waiting:connecting', idleTimeout: 'waiting:connecting', '4xx': 'refused:error', '429': 'waiting:connecting', tokenExpired: '-', retryDue: '-', offline: 'offline:offline', online: '-', close: 'closed:connecting' },
  // prettier-ignore
  streaming: { open: 'requesting:connecting', empty: 'idle:connecting', headers: '-', synced: 'live:live', retryHint: 'streaming:connecting', '5xx': 'waiting:connecting', idleTimeout: 'waiting:connecting', '4xx': 'refused:error', '429': 'waiting:connecting', tokenExpired: 'requesting:connecting', retryDue: '-', offline: 'offline:offline', online: '-', close: 'closed:connecting' },
  // prettier-ignore
  live: { open: 'requesting:live', empty: 'idle:live', headers: '-', synced: '-', retryHint: 'live:live', '5xx': 'waiting:reconnecting', idleTimeout: 'waiting:reconnecting', '4xx': 'refused:error', '429': 'waiting:reconnecting', tokenExpired: 'requesting:live', retryDue: '-', offline: 'offline:offline', online: '-', close: 'closed:live' },
  // prettier-ignore
  waiting: { open: '-', empty: 'idle:live', headers: '-', synced: '-', retryHint: 'waiting:reconnecting', '5xx': '-', idleTimeout: '-', '4xx': '-', '429': '-', tokenExpired: '-', retryDue: 'requesting:reconnecting', offline: 'offline:offline', online: '-', close: 'closed:reconnecting' },
  // prettier-ignore
  refused: { open: 'requesting:connecting', empty: 'idle:connecting', headers: '-', synced: '-', retryHint: 'refused:error', '5xx': '-', idleTimeout: '-', '4xx': '-', '429': '-', tokenExpired: '-', retryDue: '-', offline: 'offline:offline', online: '-', close: 'closed:error' },
  // prettier-ignore
  offline: { open: '-', empty: '-', headers: '-', synced: '-', retryHint: 'offline:offline', '5xx': '-', idleTimeout: '-', '4xx': '-', '429': '-', tokenExpired: '-', retryDue: '-', offline: '-', online: 'idle:reconnecting', close: 'closed:offline' },
  // prettier-ignore
  closed: { open: '-', empty: '-', headers: '-', synced: '-', retryHint: '-', '5xx': '-', idleTimeout: '-', '4xx': '-', '429': '-', tokenExpired: '-', retryDue: '-', offline: '-', online: '-', close: '-' },
}

describe('connection state: every state × event', () => {
  const cells = Object.entries(table).flatMap(([phase, row]) =>
    Object.entries(row).map(([event, expected]) => ({ phase, event, expected })),
  )
  test.each(cells)('$phase + $event → $expected', ({ phase, event, expected }) => {
    const before = states[phase as ConnectionPhase]
    const after = transition(before, events[event as EventName])
    if (expected === '-') expect(after).toBe(before)
    else expect(`${after.phase}:${after.status}`).toBe(expected)
  })
})

describe('connection state: details', () => {
  test('each (re)open is a new request; outcomes of an older request are ignored', () => {
    const opened = transition(states.live, events.open)
    expect(opened.request).toBe(2)
    expect(transition(opened, { type: 'headers', request: 1 })).toBe(opened)
    expect(transition(opened, { type: 'failed', request: 1, error: serverError })).toBe(opened)
    expect(transition(transition(states.waiting, events.retryDue), events.open).request).toBe(3)
  })

  test('failures count up for the backoff and reset once a stream is live again', () => {
    let state = transition(states.requesting, events['5xx'])
    expect(state.failures).toBe(1)
    expect(state.lastError).toBe(serverError)
    state = transition(state, events.retryDue)
    state = transition(state, { ...events.idleTimeout, request: state.request })
    expect(state.failures).toBe(2)
    state = transition(state, events.retryDue)
    state = transition(state, { type: 'headers', request: state.request })
    state = transition(state, { type: 'synced', request: state.request })
    expect(state).toMatchObject({ phase: 'live', failures: 0, lastError: idleTimeout })
  })

  test('a 429 waits for its Retry-After (not the backoff); any other failure clears it', () => {
    const limited = transition(states.live, events['429'])
    expect(limited).toMatchObject({ phase: 'waiting', retryAfterMs: 3000, lastError: rateLimited })
    const retried = transition(limited, events.retryDue)
    const failed = transition(retried, { ...events['5xx'], request: retried.request })
    expect(failed.retryAfterMs).toBeUndefined()
  })

  test('an expired token reopens at once, asks for a new token, and is not a failure', () => {
    const expired = transition(states.live, events.tokenExpired)
    expect(expired).toMatchObject({ phase: 'requesting', request: 2, refreshToken: true })
    expect(expired.failures).toBe(states.live.failures)
    expect(transition(expired, { type: 'headers', request: 2 }).refreshToken).toBe(false)
  })

  test("the gateway's retry: hint is kept for the backoff", () => {
    expect(transition(states.requesting, events.retryHint).retryHintMs).toBe(2000)
  })

  test('coming back online starts from the first backoff step', () => {
    expect(transition(states.offline, events.online).failures).toBe(0)
  })

  test('a 4xx is a refusal (not retried blindly), except 408 and 429; a 5xx is not', () => {
    expect([400, 401, 404, 413, 415].map(isRefusal)).toEqual([true, true, true, true, true])
    expect([408, 429, 500, 503].map(isRefusal)).toEqual([false, false, false, false])
  })
})
