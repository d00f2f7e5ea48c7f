import type { ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { Socket } from 'node:net'
import { SSE_HEADERS } from './sse-stream.js'

/**
 * The headers of an open stream: those of docs/protocol.md, except that the response is
 * delimited by closing the connection (HTTP/1.1 without `Content-Length` or
 * `Transfer-Encoding`, RFC 9112 §6.3) rather than by chunked framing.
 */
const STREAM_HEADERS = { ...SSE_HEADERS, Connection: 'close' } as const

/** A stream's socket, and its status line and headers if they are still to be written. */
export interface TakenSocket {
  socket: Socket
  /** The head (latin1), for the stream's first write; `undefined` once Node sent it. */
  head: string | undefined
}

/**
 * Builds a stream's status line and headers (with the CORS and security headers the
 * middleware set on `res`), then takes the socket away from Node's HTTP server, for
 * {@link SseStream} to write to it directly: the head together with the first frames in
 * one write, then frames without `ServerResponse.write` (its per-write checks, chunk
 * framing and cork-per-response tick), and no request, response and parser kept for as
 * long as the stream lives (see {@link detachFromHttpServer}). `undefined` when the
 * client has already left.
 */
export function takeOverSocket(res: ServerResponse): TakenSocket | undefined {
  const socket = res.socket
  if (socket === null || socket.destroyed) return undefined
  res.removeHeader('Content-Length')
  // Removed, not just absent: Node would otherwise choose chunked encoding by itself.
  res.removeHeader('Transfer-Encoding')
  res.writeHead(200, STREAM_HEADERS)
  socket.setNoDelay(true)
  // writeHead only builds the head (`_header`); it is written at the first write.
  const head = (res as unknown as { _header?: unknown })._header
  if (typeof head === 'string' && detachFromHttpServer(res, socket)) return { socket, head }
  res.flushHeaders()
  return { socket, head: undefined }
}

interface HttpParser {
  socket: unknown
}

/** Node's own (lib/_http_common.js): returns a connection's parser to the pool. */
const { freeParser } = createRequire(import.meta.url)('node:_http_common') as {
  freeParser?: (parser: HttpParser, req: unknown, socket: Socket) => void
}

/**
 * The listeners Node's HTTP server puts on every connection (lib/_http_server.js,
 * `connectionListenerInternal`): the ones its own upgrade path removes before it hands a
 * socket to an `'upgrade'` listener. Bound functions are named `bound <name>`.
 */
const SERVER_LISTENERS: readonly (readonly [string, string])[] = [
  ['data', 'bound socketOnData'],
  ['end', 'bound socketOnEnd'],
  ['close', 'bound socketOnClose'],
  ['drain', 'bound socketOnDrain'],
  ['error', 'socketOnError'],
  ['resume', 'onSocketResume'],
  ['pause', 'onSocketPause'],
]

/**
 * Does for a stream what Node's HTTP server does for an upgraded connection: it stops
 * parsing the socket, frees its parser, forgets the request and the response, and leaves
 * the socket to us. An idle stream is then a socket and an {@link SseStream}, not also an
 * `IncomingMessage`, a `ServerResponse`, a parser and Express's state on them (about half
 * of an idle stream's memory before). The socket no longer counts among the server's HTTP
 * connections (`closeIdleConnections()` and `closeAllConnections()` do not see it), so
 * the gateway ends its streams itself on `close()`.
 *
 * Only when every listener is found (else false): in a Node version whose server differs,
 * the connection stays with Node as it was (more memory per stream, same behaviour), never
 * a parser freed under a listener that still uses it.
 */
function detachFromHttpServer(res: ServerResponse, socket: Socket): boolean {
  const parser = (socket as unknown as { parser?: HttpParser | null }).parser
  if (freeParser === undefined || parser == null || parser.socket !== socket) return false
  const found = SERVER_LISTENERS.map(([event, name]) =>
    socket.listeners(event).find((listener) => listener.name === name),
  )
  if (found.some((listener) => listener === undefined)) return false
  SERVER_LISTENERS.forEach(([event], index) => socket.off(event, found[index] as never))
  const onTimeout = socket.listeners('timeout').find((l) => l.name === 'socketOnTimeout')
  if (onTimeout !== undefined) socket.off('timeout', onTimeout as never)
  res.detachSocket(socket)
  freeParser(parser, null, socket)
  // The client's half-close ends the stream, as Node's server would (httpAllowHalfOpen
  // false); anything else the client sends is read and dropped.
  socket.on('end', endOnHalfClose)
  return true
}

/** Module-level, so that it keeps nothing of {@link detachFromHttpServer} alive. */
function endOnHalfClose(this: Socket): void {
  this.destroySoon()
}
