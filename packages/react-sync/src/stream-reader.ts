import { SyncError, isSyncErrorCode } from '@fdb-live/core'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { isEpoch } from './gateway-http.js'
import type { StreamEvent, SyncWhere } from './sync-events.js'

/** Callbacks of {@link readEventStream}. */
export interface StreamReaderHandlers {
  /** A `value` or `error` event for one record, or an event of one collection. */
  onKeyEvent(event: StreamEvent): void
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
      // With a schema and no id it concerns one collection.
      if (data.id === undefined) {
        handlers.onKeyEvent({
          type: 'collection-error',
          schema: requireString(data.schema, message),
          where: requireWhere(data.where, message),
          code: requireString(data.code, message),
          message: typeof data.message === 'string' ? data.message : '',
        })
        return
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
    case 'collection-reset':
    case 'collection-synced':
    case 'collection-change':
      handlers.onKeyEvent(collectionEvent(message))
      return
    default:
      return
  }
}

/** A `collection-*` event (docs/protocol.md, "Collections"). */
function collectionEvent(message: EventSourceMessage): StreamEvent {
  const data = parseData(message)
  const schema = requireString(data.schema, message)
  const where = requireWhere(data.where, message)
  switch (message.event) {
    case 'collection-reset':
      return { type: 'collection-reset', schema, where }
    case 'collection-synced':
      return {
        type: 'collection-synced',
        schema,
        where,
        version: requireString(data.version, message),
      }
    default:
      if (!('value' in data)) throw malformed(message)
      return {
        type: 'collection-change',
        schema,
        where,
        id: requireString(data.id, message),
        version: requireString(data.version, message),
        value: data.value,
      }
  }
}

/** `where`: `null` (or absent) for the whole schema, else one `index: value` entry. */
function requireWhere(value: unknown, message: EventSourceMessage): SyncWhere {
  if (value === undefined || value === null) return null
  if (typeof value !== 'object' || Array.isArray(value)) throw malformed(message)
  const entries = Object.entries(value as Record<string, unknown>)
  const valid = entries.every(
    ([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean',
  )
  if (entries.length !== 1 || !valid) throw malformed(message)
  return value as SyncWhere
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
