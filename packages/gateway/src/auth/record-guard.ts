import { SyncError, assertId, assertSchemaName, assertTenant } from '@fdb-live/core'
import type { RequestHandler } from 'express'
import type { LimitMetrics } from '../limits/limit-metrics.js'
import type { RecordCheck } from './authorizer.js'
import { principalOf } from './principal.js'

/** The record route's path, which this guard is mounted on ahead of the route itself. */
export const RECORD_PATH = '/v1/tenants/:tenant/records/:schema/:id'

/**
 * `403 forbidden` for a record read outside the principal's grants, before the store is
 * read. Names are validated first (with the route's own codes), so a grant is only ever
 * compared with a valid name.
 */
export function recordGuard(check: RecordCheck, metrics: LimitMetrics): RequestHandler {
  return async (req, res, next) => {
    const { tenant, schema, id } = req.params as Record<string, string | undefined>
    assertTenant(tenant)
    assertSchemaName(schema)
    assertId(id)
    if (!(await check(principalOf(res), { tenant, schema, id }))) {
      metrics.refused('forbidden', 'grant')
      throw new SyncError('forbidden', 'Your token does not grant this record.')
    }
    next()
  }
}
