import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { SSE_HEADERS } from './sse-stream.js'

/**
 * The headers of an open stream: those of docs/protocol.md, except that the response is
 * delimited by closing the connection (HTTP/1.1 without `Content-Length` or
 * `Transfer-Encoding`, RFC 9112 §6.3) rather than by chunked framing.
 */
const STREAM_HEADERS = { ...SSE_HEADERS, Connection: 'close' } as const

/**
 * Sends a stream's status line and headers (with the CORS and security headers the
 * middleware set on `res`), then hands over the socket, for {@link SseStream} to write
 * frames to it directly: no `ServerResponse.write` (its per-write header checks, chunk
 * framing and cork-per-response tick) on the hot path. Node's HTTP server still owns the
 * connection's life (`server.close()`, `closeAllConnections()`), and, the response never
 * finishing, never writes to it again. `undefined` when the client has already left.
 */
export function takeOverSocket(res: ServerResponse): Socket | undefined {
  const socket = res.socket
  if (socket === null || socket.destroyed) return undefined
  res.removeHeader('Content-Length')
  // Removed, not just absent: Node would otherwise choose chunked encoding by itself.
  res.removeHeader('Transfer-Encoding')
  res.writeHead(200, STREAM_HEADERS)
  res.flushHeaders()
  socket.setNoDelay(true)
  return socket
}
