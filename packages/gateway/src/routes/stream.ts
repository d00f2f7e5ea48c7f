import { SyncError, assertTenant } from '@fdb-live/core'
import express, { Router, type Request, type RequestHandler, type Response } from 'express'
import { methodNotAllowed } from '../http-errors.js'
import type { GatewayMetrics } from '../metrics.js'
import { SseStream } from '../sse-stream.js'
import { runStreamSession, type StreamSessionHandle } from '../stream-session.js'
import {
  parseSubscriptionBody,
  parseSubscriptionQuery,
  type StreamSubscription,
} from '../subscriptions.js'
import type { WatchHub } from '../watch-hub.js'
import type { Logger } from 'pino'

/** What the stream routes need from the gateway. */
export interface StreamRouteOptions {
  hub: WatchHub
  metrics: GatewayMetrics
  logger: Logger
  /** Open streams, so that the gateway can end them on close. */
  streams: Set<SseStream>
  isClosing: () => boolean
  heartbeatIntervalMs: number
  stalledStreamTimeoutMs: number
  retryMs: number
  maxSubscriptionsPerStream: number
  bodyLimitBytes: number
}

/**
 * `POST /v1/tenants/:tenant/stream` (JSON body) and `GET …/stream?sub=<schema>/<id>` (for
 * EventSource and curl): validate everything, then turn the response into an SSE stream.
 */
export function streamRoutes(options: StreamRouteOptions): Router {
  const router = Router()
  const requireJson: RequestHandler = (req, _res, next) => {
    const type = req.is('application/json')
    if (type === null)
      throw new SyncError('invalid_request', 'The body is missing: send {"subscriptions":[…]}.')
    if (type === false) {
      throw new SyncError(
        'unsupported_media_type',
        `Content-Type ${JSON.stringify(req.get('Content-Type'))} is not supported; use application/json.`,
      )
    }
    next()
  }
  router
    .route('/v1/tenants/:tenant/stream')
    .post(
      requireJson,
      express.json({ limit: options.bodyLimitBytes, strict: true }),
      (req, res) => {
        const subscriptions = parseSubscriptionBody(req.body, options.maxSubscriptionsPerStream)
        openStream(options, req, res, subscriptions)
      },
    )
    .get((req, res) => {
      const query = req.originalUrl.includes('?')
        ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1)
        : ''
      const subscriptions = parseSubscriptionQuery(query, options.maxSubscriptionsPerStream)
      openStream(options, req, res, subscriptions)
    })
    .all(methodNotAllowed(['GET', 'HEAD', 'POST']))
  return router
}

function openStream(
  options: StreamRouteOptions,
  req: Request,
  res: Response,
  subscriptions: StreamSubscription[],
): void {
  const tenant = req.params['tenant']
  assertTenant(tenant)
  if (options.isClosing())
    throw new SyncError('store_unavailable', 'The gateway is shutting down; retry.')
  const { hub, metrics, logger, streams } = options
  // Filled in right after the stream exists; the close event cannot come sooner.
  const session: { current?: StreamSessionHandle } = {}
  const stream: SseStream = new SseStream(res, {
    metrics,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    retryMs: options.retryMs,
    stalledTimeoutMs: options.stalledStreamTimeoutMs,
    onStalled: () => {
      logger.warn(
        { tenant, subscriptions: subscriptions.length, timeoutMs: options.stalledStreamTimeoutMs },
        'stream ended: the client stopped reading',
      )
    },
    onClose: () => {
      session.current?.release()
      streams.delete(stream)
      metrics.openStreams.dec()
      logger.debug({ tenant }, 'stream closed')
    },
  })
  streams.add(stream)
  metrics.openStreams.inc()
  logger.debug({ tenant, subscriptions: subscriptions.length }, 'stream opened')
  session.current = runStreamSession({ hub, stream, tenant, subscriptions, metrics, logger })
}
