import { SyncError, quoteInput, toSyncError } from '@fdb-live/core'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { ErrorRequestHandler, RequestHandler, Response } from 'express'
import type { Logger } from 'pino'

const INTERNAL_MESSAGE = 'Internal error; see the gateway log for details.'

/**
 * What a client may see of an error. An `internal` error's message names records, keys or
 * stack details (docs/protocol.md: "details are in the gateway log, never in the
 * response"), so it is replaced; log the original before calling this.
 */
export function publicError(error: SyncError): SyncError {
  return error.code === 'internal' ? new SyncError('internal', INTERNAL_MESSAGE) : error
}

/** Writes `{"error":{"code","message"}}` with the code's HTTP status; see {@link publicError}. */
export function sendError(res: Response, error: SyncError): void {
  const shown = publicError(error)
  res.status(shown.httpStatus).json(shown.toJSON())
}

/** 404 `route_not_found` for every path no route claims. */
export const routeNotFound: RequestHandler = (req, res) => {
  sendError(
    res,
    new SyncError(
      'route_not_found',
      `No route ${req.method} ${quoteInput(req.path, 200)}; see docs/protocol.md.`,
    ),
  )
}

/** 405 `method_not_allowed` with the `Allow` header, for a known path and a wrong method. */
export function methodNotAllowed(allow: readonly string[]): RequestHandler {
  const header = allow.join(', ')
  return (req, res) => {
    res.set('Allow', header)
    sendError(
      res,
      new SyncError('method_not_allowed', `${req.method} is not allowed here; use ${header}.`),
    )
  }
}

/**
 * The HTTP boundary: anything thrown by a route or the body parser becomes a
 * {@link SyncError} here, once. Internal errors are logged with their cause and reach the
 * client only as `internal`.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const syncError = fromHttpError(error)
    if (syncError.code === 'internal') {
      const err = syncError.cause ?? error
      logger.error(
        { err, message: syncError.message, method: req.method, path: req.path },
        'request failed',
      )
    }
    if (res.headersSent) {
      res.end()
      return
    }
    sendError(res, syncError)
  }
}

/** Maps body-parser and router errors (which carry `type` / `status`) to protocol codes. */
function fromHttpError(error: unknown): SyncError {
  if (error instanceof SyncError) return error
  const { type, status, message } = (error ?? {}) as {
    type?: unknown
    status?: unknown
    message?: unknown
  }
  // Parser messages can quote the body (V8's JSON errors do): keep a short prefix only.
  const detail = typeof message === 'string' ? message.slice(0, 200) : 'bad request'
  switch (type) {
    case 'entity.too.large':
      return new SyncError('payload_too_large', `The body is too large: ${detail}.`)
    case 'entity.parse.failed':
      return new SyncError('invalid_request', `Malformed JSON: ${detail}.`)
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new SyncError('unsupported_media_type', `${detail}; send UTF-8 application/json.`)
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new SyncError('invalid_request', `Bad request: ${detail}.`)
  }
  return toSyncError(error)
}

/**
 * Answers a request Node's HTTP parser rejected before any route saw it (`'clientError'`)
 * in the protocol's JSON shape: Node's own answer is a bare status line. A request line or
 * headers over Node's limit (16 KB) is `431 headers_too_large`; anything else malformed is
 * `400 invalid_request`.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const syncError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new SyncError(
          'headers_too_large',
          'The request line and headers are over the 16 KB limit: send long subscription lists as a POST body.',
        )
      : new SyncError('invalid_request', 'Malformed HTTP request.')
  const body = JSON.stringify(syncError.toJSON())
  const status = syncError.httpStatus
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
