import { SyncError, createRepo, retrying, type KvStore, type Repo } from '@fdb-live/core'
import cors from 'cors'
import express, { type Express } from 'express'
import type { Logger } from 'pino'
import { coalescedRead } from './coalesced-read.js'
import { errorHandler, routeNotFound } from './http-errors.js'
import { startDrainMonitor } from './drain-monitor.js'
import { createLogger } from './logger.js'
import { createGatewayMetrics, type GatewayMetrics } from './metrics.js'
import { healthRoutes } from './routes/health.js'
import { metricsRoutes } from './routes/metrics.js'
import { recordRoutes } from './routes/records.js'
import { streamRoutes } from './routes/stream.js'
import type { SseStream } from './sse-stream.js'
import { StreamScheduler } from './stream-scheduler.js'
import { WatchHub } from './watch-hub.js'
import { CollectionHub } from './collection-hub.js'
import { RECORD_PATH } from './auth/record-guard.js'
import { corsOptions, createSecurity, type SecurityOptions } from './security.js'

/** The origins of the demo app's Vite dev server. */
export const DEFAULT_CORS_ORIGINS: readonly string[] = [
  'http://localhost:5173',
  'http://127.0.0.1:5173',
]

/**
 * Tries of a read a request waits on (≈ 0.2 s of backoff at most) before it answers that
 * the store is unavailable; the client then retries on its own schedule.
 */
const STORE_READ_ATTEMPTS = 3

/** Options for {@link createGateway}; the security options are in {@link SecurityOptions}. */
export interface GatewayOptions extends SecurityOptions {
  /** The store to read and watch. The gateway never closes it: its owner does. */
  store: KvStore
  /**
   * The repo over `store`, when the app already has one.
   * @default createRepo(store, { root })
   */
  repo?: Repo
  /**
   * The key root of the records (see docs/data-layout.md); ignored when `repo` is given.
   * @default 'fdb-live'
   */
  root?: string
  /**
   * Largest collection a stream may subscribe to (more members: an `error` event
   * `collection_too_large`); ignored when `repo` is given (set it there).
   * @default 10000
   */
  maxCollectionSize?: number
  /**
   * Origins allowed to read from the gateway in a browser (with credentials: the token
   * cookie), or `'*'` for any origin without credentials.
   * @default ['http://localhost:5173', 'http://127.0.0.1:5173'] (the demo's Vite dev server)
   */
  corsOrigins?: readonly string[] | '*'
  /** Longest quiet time on a stream before a `: hb` comment is sent. @default 15000 */
  heartbeatIntervalMs?: number
  /**
   * How long a stream may go without its writes draining (the client reads nothing: its
   * socket stays full, or on Linux the client acknowledges none of the bytes waiting in
   * the kernel) before the gateway cuts it with a reset and releases its subscriptions and
   * store watches. The client reconnects and resumes with `since`.
   * @default 4 × heartbeatIntervalMs (60000)
   */
  stalledStreamTimeoutMs?: number
  /** Most subscriptions in one stream request. @default 1000 */
  maxSubscriptionsPerStream?: number
  /** Largest request body accepted. @default 1048576 (1 MiB) */
  bodyLimitBytes?: number
  /**
   * The reconnection delay sent to clients in the stream's `retry:` line. Each stream gets
   * its own value, uniformly within ±50 % of this one, so clients do not return in step.
   * @default 2000
   */
  retryMs?: number
  /**
   * Where structured logs go.
   * @default createLogger(): pino JSON on stderr, level from FDB_LIVE_LOG_LEVEL or 'info'
   */
  logger?: Logger
}

/** A gateway: mount `app`, and `close()` it before closing the store. */
export interface Gateway {
  /** An Express app with every route of docs/protocol.md plus `GET /metrics`. */
  readonly app: Express
  /** The Prometheus registry and instruments behind `GET /metrics`. */
  readonly metrics: GatewayMetrics
  /** Ends every stream (clients reconnect elsewhere) and releases every store watch. Idempotent. */
  close(): Promise<void>
}

/**
 * Creates the gateway: one store watch per subscribed record, shared by every stream,
 * served as Server-Sent Events (docs/protocol.md).
 *
 * @example
 * const store = await openStore({ kind: 'embedded', dataDir: '.fdb-live/data' })
 * const gateway = createGateway({ store })
 * const server = gateway.app.listen(4001)
 */
export function createGateway(options: GatewayOptions): Gateway {
  const { store } = options
  const repo =
    options.repo ??
    createRepo(store, {
      ...(options.root === undefined ? {} : { root: options.root }),
      ...(options.maxCollectionSize === undefined
        ? {}
        : { maxCollectionSize: options.maxCollectionSize }),
    })
  const logger = options.logger ?? createLogger()
  const metrics = createGatewayMetrics({ storeStatus: () => store.status?.() })
  const hub = new WatchHub({ repo, metrics, logger })
  const collectionHub = new CollectionHub({ repo, metrics, logger })
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 15_000
  const streams = new Set<SseStream>()
  const scheduler = new StreamScheduler(metrics, heartbeatIntervalMs)
  const stalledStreamTimeoutMs = options.stalledStreamTimeoutMs ?? 4 * heartbeatIntervalMs
  // A quarter of the timeout, so a stall is caught within 125 % of it (every 15 s by
  // default): each check reads the host's whole connection table, 31-39 ms of kernel time
  // in the thread pool at 10,000 streams, so it runs no more often than that needs.
  const stopDrainMonitor = startDrainMonitor(streams, Math.max(10, stalledStreamTimeoutMs / 4))
  let closing = false

  const app = express()
  app.disable('x-powered-by')
  // Records carry their own ETag (the version); nothing else should get one.
  app.set('etag', false)
  const retryMs = options.retryMs ?? 2000
  const maxSubscriptionsPerStream = options.maxSubscriptionsPerStream ?? 1000
  const bodyLimitBytes = options.bodyLimitBytes ?? 1024 * 1024
  const security = createSecurity(
    { ...options, retryMs, maxSubscriptionsPerStream, bodyLimitBytes },
    metrics.registry,
    logger,
  )
  if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy)
  app.use(security.headers)
  app.use(cors(corsOptions(options.corsOrigins ?? DEFAULT_CORS_ORIGINS)))
  app.use(healthRoutes(store, logger))
  // Everything under /v1 but healthz: connection rate, then the token (docs/security.md).
  app.use('/v1', ...security.v1)
  app.get(RECORD_PATH, security.recordGuard)
  app.use(recordRoutes(repo, STORE_READ_ATTEMPTS))
  app.use(
    streamRoutes({
      admit: security.admitStream,
      hub,
      collectionHub,
      metrics,
      logger,
      streams,
      streamConfig: { metrics, scheduler, stalledTimeoutMs: stalledStreamTimeoutMs },
      unavailable: () =>
        closing
          ? new SyncError('store_unavailable', 'The gateway is shutting down; retry.')
          : undefined,
      epoch: coalescedRead(() =>
        retrying(() => repo.epoch(), { maxAttempts: STORE_READ_ATTEMPTS }),
      ),
      stalledStreamTimeoutMs,
      retryMs,
      maxSubscriptionsPerStream,
      bodyLimitBytes,
    }),
  )
  app.use('/metrics', security.metricsGuard)
  app.use(metricsRoutes(metrics))
  app.use(routeNotFound)
  app.use(errorHandler(logger))

  return {
    app,
    metrics,
    close() {
      if (!closing) {
        closing = true
        stopDrainMonitor()
        for (const stream of [...streams]) stream.end()
        scheduler.close()
        hub.close()
        collectionHub.close()
        logger.info('gateway closed: streams ended, watches released')
      }
      return Promise.resolve()
    },
  }
}
