import { isSyncError, type KvStore } from '@fdb-live/core'
import { Router } from 'express'
import type { Logger } from 'pino'
import { methodNotAllowed } from '../http-errors.js'

/** How long `GET /v1/healthz` waits for the store before answering 503. */
const PING_TIMEOUT_MS = 2000

/**
 * `GET /v1/healthz`: 200 when the store answers, 503 otherwise. The 503 names the reason
 * by its code only: the store's own message (paths, cluster addresses) goes to the log.
 */
export function healthRoutes(store: KvStore, logger: Logger): Router {
  const router = Router()
  router
    .route('/v1/healthz')
    .get(async (_req, res) => {
      res.set('Cache-Control', 'no-store')
      try {
        await withTimeout(store.ping(), PING_TIMEOUT_MS)
        res.json({ ok: true, store: store.kind })
      } catch (error) {
        logger.warn({ err: error }, 'health check: the store does not answer')
        // Why, by code: a store that is not open yet carries what keeps it shut as cause.
        const code = isSyncError(error) ? (isSyncError(error.cause) ? error.cause : error).code : ''
        const reason = code === '' ? '' : ` (${code})`
        res.status(503).json({
          ok: false,
          store: store.kind,
          error: {
            code: 'store_unavailable',
            message: `The store does not answer${reason}; details are in the gateway log.`,
          },
        })
      }
    })
    .all(methodNotAllowed(['GET', 'HEAD']))
  return router
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
