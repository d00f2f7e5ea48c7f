import { SyncError, isSyncErrorCode } from '@fdb-live/core'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { isEpoch } from './gateway-http.js'
import type { KeyEvent } from './sync-events.js'

/** Callbacks of {@link readEventStream}. */
export interface StreamReaderHandlers {
  /** A `value` or `error` event for one record. */
  onKeyEvent(event: KeyEvent): void
  /** `hello`: the store's epoch (docs/protocol.md), before any `value`. */
  onHello(epoch: string): void
  /** `synced`: every subscription's initial value has been sent (or skipped by `since`). */
  onSynced(): void
  /** The gateway's `retry:` hint, in milliseconds. */
  onRetry(retryMs: number): void
  /** Bytes arrived (events or heartbeats): the stream is alive. */
  onActivity(): void
}

/**
 * Reads a `text/event-stream` body to its end, parsing the events of docs/protocol.md.
 * Resolves when the gateway ends the stream; rejects on a network error or on an event that
 * breaks the protocol. Unknown event types are ignored (forward compatibility).
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  handlers: StreamReaderHandlers,
): Promise<void> {
  let failure: Error | undefined
  const parser = createParser({
    onEvent(message) {
      if (failure !== undefined) return
      try {
        handleMessage(message, handlers)
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error))
      }
    },
    onRetry: (ms) => handlers.onRetry(ms),
  })
  const decoder = new TextDecoder()
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      handlers.onActivity()
      parser.feed(decoder.decode(value, { stream: true }))
      if (failure !== undefined) throw failure
    }
  } finally {
    reader.releaseLock()
  }
}

function handleMessage(message: EventSourceMessage, handlers: StreamReaderHandlers): void {
  switch (message.event) {
    case 'value': {
      const data = parseData(message)
      if (typeof data.version !== 'string' || !('value' in data)) throw malformed(message)
      handlers.onKeyEvent({
        type: 'value',
        schema: requireString(data.schema, message),
        id: requireString(data.id, message),
        version: data.version,
        value: data.value,
      })
      return
    }
    case 'error': {
      const data = parseData(message)
      // Without schema and id it concerns the whole stream (a transient refusal, which the
      // gateway ends the response after): the stream fails with the gateway's error.
      if (data.schema === undefined && data.id === undefined) {
        const code = isSyncErrorCode(data.code) ? data.code : 'store_unavailable'
        throw new SyncError(code, typeof data.message === 'string' ? data.message : code)
      }
      handlers.onKeyEvent({
        type: 'error',
        schema: requireString(data.schema, message),
        id: requireString(data.id, message),
        code: requireString(data.code, message),
        message: typeof data.message === 'string' ? data.message : '',
      })
      return
    }
    case 'hello': {
      const epoch = parseData(message).epoch
      if (!isEpoch(epoch)) throw malformed(message)
      handlers.onHello(epoch)
      return
    }
    case 'synced':
      handlers.onSynced()
      return
    default:
      return
  }
}

function parseData(message: EventSourceMessage): Record<string, unknown> {
  let data: unknown
  try {
    data = JSON.parse(message.data)
  } catch {
    throw malformed(message)
  }
  if (typeof data !== 'object' || data === null) throw malformed(message)
  return data as Record<string, unknown>
}

function requireString(value: unknown, message: EventSourceMessage): string {
  if (typeof value !== 'string') throw malformed(message)
  return value
}

function malformed(message: EventSourceMessage): SyncError {
  return new SyncError(
    'internal',
    `The gateway sent a malformed "${message.event ?? 'message'}" event: ${message.data.slice(0, 200)}`,
  )
}
