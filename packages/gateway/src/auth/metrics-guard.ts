import { timingSafeEqual } from 'node:crypto'
import { SyncError } from '@fdb-live/core'
import type { RequestHandler } from 'express'
import type { LimitMetrics } from '../limits/limit-metrics.js'

/**
 * `GET /metrics` behind its own bearer token (`--metrics-token`), compared in constant
 * time. Without a token configured, `/metrics` stays open (bind the gateway to a private
 * interface, or put the route behind the proxy).
 */
export function metricsGuard(token: string | undefined, metrics: LimitMetrics): RequestHandler {
  const expected = token === undefined ? undefined : Buffer.from(`Bearer ${token}`)
  return (req, res, next) => {
    if (expected === undefined) {
      next()
      return
    }
    const given = Buffer.from(req.get('Authorization') ?? '')
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      next()
      return
    }
    metrics.refused('unauthorized', 'metrics_token')
    res.set('WWW-Authenticate', 'Bearer realm="fdb-live-metrics"')
    throw new SyncError('unauthorized', 'GET /metrics needs Authorization: Bearer <metrics token>.')
  }
}
