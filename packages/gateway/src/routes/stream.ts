import { SyncError, assertTenant, quoteInput, toSyncError, type Epoch } from '@fdb-live/core'
import express, { Router, type Request, type RequestHandler, type Response } from 'express'
import type { Logger } from 'pino'
import { methodNotAllowed } from '../http-errors.js'
import type { GatewayMetrics } from '../metrics.js'
import { formatEvent } from '../sse-format.js'
import { takeOverSocket } from '../sse-response.js'
import { SSE_HEADERS, SseStream, type SseStreamConfig } from '../sse-stream.js'
import { jitteredRetryMs, refuseStream } from '../stream-refusal.js'
import { runStreamSession } from '../stream-session.js'
import { StreamOwner } from '../stream-owner.js'
import {
  epochOfBody,
  epochOfQuery,
  parseStreamBody,
  parseStreamQuery,
  type CollectionSubscription,
  type StreamSubscription,
} from '../subscriptions.js'
import type { CollectionHub } from '../collection-hub.js'
import { collectionKeyString, whereOnWire } from '../collection-key.js'
import type { WatchHub } from '../watch-hub.js'
import type { AdmitStream } from '../auth/stream-admission.js'

/** What the stream routes need from the gateway. */
export interface StreamRouteOptions {
  /** Grants per subscription and the principal's quota (docs/security.md). */
  admit: AdmitStream
  hub: WatchHub
  /** Serves collection subscriptions (docs/protocol.md, Collections). */
  collectionHub?: CollectionHub
  metrics: GatewayMetrics
  logger: Logger
  /** Open streams, so that the gateway can end them on close. */
  streams: Set<SseStream>
  /** What every stream shares: metrics, the scheduler of writes and heartbeats. */
  streamConfig: SseStreamConfig
  /** Why new streams are refused for now (shutting down, no store yet), if they are. */
  unavailable: () => SyncError | undefined
  /** The store's epoch; rejects when the store does not answer. */
  epoch: () => Promise<Epoch>
  stalledStreamTimeoutMs: number
  retryMs: number
  maxSubscriptionsPerStream: number
  bodyLimitBytes: number
}

/** A validated stream request. */
interface StreamRequest {
  subscriptions: StreamSubscription[]
  collections: CollectionSubscription[]
  /** The epoch the client's `since` values come from, if it sent one. */
  epoch: Epoch | undefined
}

/**
 * `POST /v1/tenants/:tenant/stream` (JSON body) and `GET …/stream?sub=<schema>/<id>` (for
 * EventSource and curl): validate everything, then turn the response into an SSE stream.
 */
export function streamRoutes(options: StreamRouteOptions): Router {
  const router = Router()
  const limit = options.maxSubscriptionsPerStream
  const requireJson: RequestHandler = (req, _res, next) => {
    const type = req.is('application/json')
    if (type === null)
      throw new SyncError('invalid_request', 'The body is missing: send {"subscriptions":[…]}.')
    if (type === false) {
      throw new SyncError(
        'unsupported_media_type',
        `Content-Type ${quoteInput(req.get('Content-Type'))} is not supported; use application/json.`,
      )
    }
    // The body parser would decode UTF-16 and report the garbled result as malformed JSON.
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.get('Content-Type') ?? '')?.[1]
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      throw new SyncError(
        'unsupported_media_type',
        `charset ${quoteInput(charset)} is not supported; send UTF-8 application/json.`,
      )
    }
    next()
  }
  router
    .route('/v1/tenants/:tenant/stream')
    .post(
      requireJson,
      express.json({ limit: options.bodyLimitBytes, strict: true }),
      async (req, res) => {
        const { records: subscriptions, collections } = parseStreamBody(req.body, limit)
        const epoch = epochOfBody(req.body)
        await openStream(options, req, res, { subscriptions, collections, epoch })
      },
    )
    .get(async (req, res) => {
      const query = req.originalUrl.includes('?')
        ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1)
        : ''
      const { records: subscriptions, collections } = parseStreamQuery(query, limit)
      const epoch = epochOfQuery(query)
      await openStream(options, req, res, { subscriptions, collections, epoch })
    })
    .all(methodNotAllowed(['GET', 'HEAD', 'POST']))
  return router
}

async function openStream(
  options: StreamRouteOptions,
  req: Request,
  res: Response,
  request: StreamRequest,
): Promise<void> {
  const tenant = req.params['tenant']
  assertTenant(tenant)
  const retryMs = jitteredRetryMs(options.retryMs)
  let epoch: Epoch
  try {
    const refusal = options.unavailable()
    if (refusal !== undefined) throw refusal
    epoch = await options.epoch()
  } catch (error) {
    const syncError = toSyncError(error)
    // An EventSource refused with an error status never comes back: a GET stream is refused
    // only in the form it retries (stream-refusal.ts), even for a bug.
    if (!syncError.retryable && req.method !== 'GET') throw syncError
    const log = { tenant, code: syncError.code, err: syncError.cause ?? syncError }
    if (syncError.code === 'internal') options.logger.error(log, 'stream refused')
    else options.logger.warn(log, 'stream refused for now')
    refuseStream(req, res, syncError, retryMs)
    return
  }
  const admission = await options.admit(res, tenant, request.subscriptions, request.collections)
  if ('refused' in admission) {
    options.logger.info({ tenant, message: admission.refused.message }, 'stream refused: limit')
    refuseStream(req, res, admission.refused, Math.max(retryMs, admission.retryAfterMs))
    return
  }
  // The gateway may have begun to shut down while the epoch was read or the token checked:
  // its close() has already ended every stream it knew, so this one would never be ended.
  const closing = options.unavailable()
  if (closing !== undefined) {
    admission.release()
    refuseStream(req, res, closing, retryMs)
    return
  }
  if (req.method === 'HEAD') {
    // The headers of a stream, and no stream: a HEAD response has no body to carry it.
    admission.release()
    res.writeHead(200, SSE_HEADERS).end()
    return
  }
  // The client may have left while the epoch was read: nothing would ever close the stream.
  const taken = takeOverSocket(res)
  if (taken === undefined) {
    admission.release()
    return
  }
  // Versions of another epoch say nothing about this store: send every current value.
  const subscriptions =
    request.epoch !== undefined && request.epoch !== epoch
      ? admission.allowed.map(({ schema, id }) => ({ schema, id }))
      : admission.allowed
  const collections =
    request.epoch !== undefined && request.epoch !== epoch
      ? admission.allowedCollections.map(({ schema, where }) => ({ schema, where }))
      : admission.allowedCollections
  const { hub, metrics, logger, streams } = options
  const owner = new StreamOwner(
    options,
    tenant,
    subscriptions.length + collections.length,
    admission,
  )
  const stream = new SseStream(taken.socket, options.streamConfig, retryMs, owner, taken.head)
  owner.stream = stream
  stream.sendControl('hello', 'hello', formatEvent('hello', JSON.stringify({ epoch })))
  for (const { schema, id } of admission.forbidden) {
    const data = {
      schema,
      id,
      code: 'forbidden',
      message: 'Your token does not grant this record.',
    }
    stream.sendControl(
      `error:${schema}\u0000${id}`,
      'error',
      formatEvent('error', JSON.stringify(data)),
    )
  }
  for (const { schema, where } of admission.forbiddenCollections) {
    const data = {
      schema,
      where: whereOnWire(where),
      code: 'forbidden',
      message: 'Your token does not grant every record of this schema in this tenant.',
    }
    stream.sendControl(
      `error:${collectionKeyString(tenant, schema, where)}`,
      'error',
      formatEvent('error', JSON.stringify(data)),
    )
  }
  streams.add(stream)
  metrics.openStreams.inc()
  logger.debug({ tenant, subscriptions: subscriptions.length }, 'stream opened')
  owner.session = runStreamSession({
    hub,
    stream,
    tenant,
    subscriptions,
    metrics,
    logger,
    collections,
    ...(options.collectionHub === undefined ? {} : { collectionHub: options.collectionHub }),
  })
  owner.armExpiry()
}
