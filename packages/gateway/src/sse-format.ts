/**
 * Server-Sent Events framing (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 * Every function returns one complete frame, ready to be written to the socket as is.
 */

/** One `event:` frame. `data` is JSON without newlines (JSON.stringify never emits any). */
export function formatEvent(event: string, data: string, id?: string): string {
  return id === undefined
    ? `event: ${event}\ndata: ${data}\n\n`
    : `event: ${event}\nid: ${id}\ndata: ${data}\n\n`
}

/** A comment frame: ignored by parsers, used as heartbeat. */
export function formatComment(text: string): string {
  return `: ${text}\n\n`
}

/** The reconnection delay hint sent at the start of a stream. */
export function formatRetry(retryMs: number): string {
  return `retry: ${retryMs}\n\n`
}
