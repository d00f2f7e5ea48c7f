import { SyncError } from '@fdb-live/core'
import { isRefusal } from './connection-state.js'
import { errorFromResponse, fetchWithToken, tenantUrl, type GatewayHttp } from './gateway-http.js'
import { readEventStream, type StreamReaderHandlers } from './stream-reader.js'
import type { AnySubscription } from './sync-events.js'

/** The gateway refused the request itself (a 4xx other than 408 and 429). */
export class StreamRefused extends Error {
  constructor(readonly error: SyncError) {
    super(error.message)
  }
}

/** The gateway answered 429 `rate_limited`: retry after `retryAfterMs`, not sooner. */
export class RateLimited extends Error {
  constructor(
    readonly error: SyncError,
    readonly retryAfterMs: number | undefined,
  ) {
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
  request: {
    subscriptions: readonly AnySubscription[]
    epoch: string | undefined
    /** Ask `getToken` for a new token first (the last one expired). */
    refreshToken?: boolean
  },
  signal: AbortSignal,
  handlers: StreamRequestHandlers,
): Promise<never> {
  const { subscriptions, epoch } = request
  const response = await fetchWithToken(
    http,
    tenantUrl(http, 'stream'),
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        subscriptions: subscriptions.map(toWire),
        ...(epoch ? { epoch } : {}),
      }),
      signal,
      cache: 'no-store',
    },
    request.refreshToken,
  )
  if (!response.ok) {
    const error = await errorFromResponse(response)
    if (response.status === 429) throw new RateLimited(error, retryAfterMs(response))
    throw isRefusal(response.status) ? new StreamRefused(error) : error
  }
  if (response.body === null) throw new SyncError('internal', 'The stream has no body.')
  handlers.onHeaders()
  await readEventStream(response.body, handlers)
  throw new SyncError('store_unavailable', 'The gateway ended the stream.')
}

/** `Retry-After` in seconds (the gateway's form), as milliseconds. */
function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get('retry-after') ?? Number.NaN)
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined
}

/** A record `{ schema, id, since? }`, or a collection `{ schema, where?, since? }` (no `id`). */
function toWire(sub: AnySubscription): object {
  const { schema, since } = sub
  const which =
    sub.id === undefined ? (sub.where === null ? {} : { where: sub.where }) : { id: sub.id }
  return since === undefined ? { schema, ...which } : { schema, ...which, since }
}
