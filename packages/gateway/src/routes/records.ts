import { SyncError, assertId, defineSchema, type Repo } from '@fdb-live/core'
import { Router } from 'express'
import { methodNotAllowed } from '../http-errors.js'

/** `GET /v1/tenants/:tenant/records/:schema/:id`: one record, with `ETag` and 304 support. */
export function recordRoutes(repo: Repo): Router {
  const router = Router()
  router
    .route('/v1/tenants/:tenant/records/:schema/:id')
    .get(async (req, res) => {
      const { tenant, schema, id } = req.params
      const tenantRepo = repo.tenant(tenant)
      const recordSchema = defineSchema(schema)
      assertId(id)
      const record = await tenantRepo.get(recordSchema, id)
      if (record === null) {
        throw new SyncError(
          'not_found',
          `No record ${schema}/${id} in tenant ${JSON.stringify(tenant)}.`,
        )
      }
      res.set('ETag', `"${record.version}"`).set('Cache-Control', 'no-cache')
      if (etagMatches(req.get('If-None-Match'), record.version)) {
        res.status(304).end()
        return
      }
      res.json({ id: record.id, version: record.version, value: record.value })
    })
    .all(methodNotAllowed(['GET', 'HEAD']))
  return router
}

/** `If-None-Match: "v1", W/"v2"` or `*` (RFC 9110 §13.1.2, weak comparison). */
function etagMatches(header: string | undefined, version: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((tag) => {
    const trimmed = tag.trim()
    return trimmed === '*' || trimmed.replace(/^W\//, '') === `"${version}"`
  })
}
