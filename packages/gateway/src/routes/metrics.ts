import { Router } from 'express'
import { methodNotAllowed } from '../http-errors.js'
import type { GatewayMetrics } from '../metrics.js'

/** `GET /metrics`: Prometheus text format. */
export function metricsRoutes(metrics: GatewayMetrics): Router {
  const router = Router()
  router
    .route('/metrics')
    .get(async (_req, res) => {
      const body = await metrics.registry.metrics()
      res.set('Content-Type', metrics.registry.contentType).send(body)
    })
    .all(methodNotAllowed(['GET', 'HEAD']))
  return router
}
