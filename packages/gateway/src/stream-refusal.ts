import type { SyncError } from '@fdb-live/core'
import type { Request, Response } from 'express'
import { publicError, sendError } from './http-errors.js'
import { formatEvent, formatRetry } from './sse-format.js'
import { SSE_HEADERS } from './sse-stream.js'

/**
 * The `retry:` hint of one stream: `retryMs` ± 50 %, uniformly. Every stream of a gateway
 * that restarts drops at once; with one fixed hint their browsers would all come back in
 * the same instant.
 */
export function jitteredRetryMs(retryMs: number, random: () => number = Math.random): number {
  return Math.round(retryMs * (0.5 + random()))
}

/**
 * Refuses a stream request for a reason that passes (the gateway is shutting down, the
 * store does not answer). A GET stream is what `EventSource` opens, and an `EventSource`
 * that gets anything but `200 text/event-stream` gives up for good (HTML spec, "fail the
 * connection"), so a GET gets the *transient refusal*: `200`, a `retry:` hint, one `error`
 * event `store_unavailable` without `schema`/`id` (it concerns the whole stream; whatever
 * the cause, all the browser can do is retry), then the end of the
 * response, after which the browser reconnects by itself. A POST (the react-sync client)
 * gets the JSON error with its status and `Retry-After`.
 */
export function refuseStream(req: Request, res: Response, error: SyncError, retryMs: number): void {
  const shown = publicError(error)
  if (req.method !== 'GET') {
    res.set('Retry-After', String(Math.max(1, Math.round(retryMs / 1000))))
    sendError(res, shown)
    return
  }
  // Whatever the cause (logged by the caller), the browser can only wait and retry; a
  // limit keeps its own code, so that a client can tell a busy principal from a busy store.
  const kept = shown.code === 'store_unavailable' || shown.code === 'rate_limited'
  const code = kept ? shown.code : 'store_unavailable'
  const message = kept
    ? shown.message
    : 'The gateway cannot serve streams right now; the browser retries.'
  res.writeHead(200, SSE_HEADERS)
  res.end(formatRetry(retryMs) + formatEvent('error', JSON.stringify({ code, message })))
}

const GET_STREAM_PATH = /^\/v1\/tenants\/[^/]+\/stream\/?$/i

/** True for a GET stream request (what `EventSource` opens), also inside a router mounted on `/v1`. */
export function isGetStream(req: Request): boolean {
  return req.method === 'GET' && GET_STREAM_PATH.test(req.baseUrl + req.path)
}
