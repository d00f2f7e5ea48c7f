import { SyncError, assertId, defineSchema, retrying, type Repo } from '@fdb-live/core'
import { Router } from 'express'
import { methodNotAllowed } from '../http-errors.js'

/** The response header that carries the store's epoch (docs/protocol.md). */
export const EPOCH_HEADER = 'FDB-Live-Epoch'

/**
 * `GET /v1/tenants/:tenant/records/:schema/:id`: one record and the store's epoch, read in
 * one transaction, with `ETag` and 304 support. A transient store error is retried
 * `attempts` times before it is answered.
 */
export function recordRoutes(repo: Repo, attempts: number): Router {
  const router = Router()
  router
    .route('/v1/tenants/:tenant/records/:schema/:id')
    .get(async (req, res) => {
      const { tenant, schema, id } = req.params
      const tenantRepo = repo.tenant(tenant)
      const recordSchema = defineSchema(schema)
      assertId(id)
      const { record, epoch } = await retrying(
        () =>
          tenantRepo.transact(async (tx) => ({
            record: await tx.get(recordSchema, id),
            epoch: await tx.epoch(),
          })),
        { maxAttempts: attempts },
      )
      res.set(EPOCH_HEADER, epoch).set('Cache-Control', 'no-cache')
      if (record === null) {
        throw new SyncError('not_found', `No record ${schema}/${id} in this tenant.`)
      }
      // The epoch is part of the tag: after a reset a record may get a version it had before,
      // and a browser cache must not revalidate the old value with it.
      const tag = `"${record.version}-${epoch}"`
      res.set('ETag', tag)
      if (etagMatches(req.get('If-None-Match'), tag)) {
        res.status(304).end()
        return
      }
      res.json({ id: record.id, version: record.version, value: record.value, epoch })
    })
    .all(methodNotAllowed(['GET', 'HEAD']))
  return router
}

/** `If-None-Match: "v1", W/"v2"` or `*` (RFC 9110 §13.1.2, weak comparison). */
function etagMatches(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((candidate) => {
    const trimmed = candidate.trim()
    return trimmed === '*' || trimmed.replace(/^W\//, '') === tag
  })
}
