import { SyncError } from '@fdb-live/core'
import { isRefusal } from './connection-state.js'
import { errorFromResponse, requestHeaders, tenantUrl, type GatewayHttp } from './gateway-http.js'
import { readEventStream, type StreamReaderHandlers } from './stream-reader.js'
import type { Subscription } from './sync-events.js'

/** The gateway refused the request itself (a 4xx other than 408 and 429). */
export class StreamRefused extends Error {
  constructor(readonly error: SyncError) {
    super(error.message)
  }
}

/** Handlers of {@link requestStream}: the reader's, plus the moment the headers arrive. */
export interface StreamRequestHandlers extends StreamReaderHandlers {
  onHeaders(): void
}

/**
 * One stream request (docs/protocol.md, "Streams"): `POST …/stream` with the subscriptions
 * and the client's store epoch, then the events until the stream ends. Never resolves:
 * rejects with {@link StreamRefused} for a refusal, with the cause for anything else
 * (including the end of the stream, which a client always reconnects from).
 */
export async function requestStream(
  http: GatewayHttp,
  request: { subscriptions: readonly Subscription[]; epoch: string | undefined },
  signal: AbortSignal,
  handlers: StreamRequestHandlers,
): Promise<never> {
  const { subscriptions, epoch } = request
  const response = await http.fetch(tenantUrl(http, 'stream'), {
    method: 'POST',
    headers: await requestHeaders(http, {
      'content-type': 'application/json',
      accept: 'text/event-stream',
    }),
    body: JSON.stringify({ subscriptions: subscriptions.map(toWire), ...(epoch ? { epoch } : {}) }),
    signal,
    cache: 'no-store',
  })
  if (!response.ok) {
    const error = await errorFromResponse(response)
    throw isRefusal(response.status) ? new StreamRefused(error) : error
  }
  if (response.body === null) throw new SyncError('internal', 'The stream has no body.')
  handlers.onHeaders()
  await readEventStream(response.body, handlers)
  throw new SyncError('store_unavailable', 'The gateway ended the stream.')
}

function toWire(sub: Subscription): Subscription {
  const { schema, id, since } = sub
  return since === undefined ? { schema, id } : { schema, id, since }
}
