import { SyncError, toSyncError } from '@fdb-live/core'
import { isGetStream, jitteredRetryMs, refuseStream } from '../stream-refusal.js'
import type { Request, RequestHandler } from 'express'
import type { LimitMetrics } from '../limits/limit-metrics.js'
import { setPrincipal } from './principal.js'
import { tokenOfRequest } from './request-token.js'
import type { TokenVerifier } from './token-verifier.js'

/** How long clients wait before retrying when the token keys cannot be fetched. */
const KEYS_RETRY_MS = 2000

/**
 * The authentication middleware for `/v1` (healthz is mounted before it). With a verifier,
 * a request without a valid token is `401 unauthorized` before any route (and any stream
 * header) runs; without one, the principal is the client's address.
 */
export function authenticate(
  verify: TokenVerifier | undefined,
  metrics: LimitMetrics,
): RequestHandler {
  return async (req, res, next) => {
    if (verify === undefined) {
      setPrincipal(res, {
        id: `address:${addressOf(req)}`,
        claims: undefined,
        expiresAtMs: undefined,
      })
      next()
      return
    }
    const token = tokenOfRequest(req)
    if (token === undefined) {
      metrics.refused('unauthorized', 'no_token')
      throw challenge(
        res,
        new SyncError('unauthorized', 'Send a token: Authorization: Bearer <jwt>.'),
      )
    }
    let verified
    try {
      verified = await verify(token)
    } catch (error) {
      if (error instanceof SyncError && error.code === 'unauthorized') {
        metrics.refused('unauthorized', 'invalid_token')
        throw challenge(res, error)
      }
      // The key set is away: the token may be fine. A GET stream gets the refusal an
      // EventSource retries; anything else a 503 with Retry-After.
      const retryMs = jitteredRetryMs(KEYS_RETRY_MS)
      if (isGetStream(req)) {
        refuseStream(req, res, toSyncError(error), retryMs)
        return
      }
      res.set('Retry-After', String(Math.round(retryMs / 1000)))
      throw error
    }
    const { claims, expiresAtMs } = verified
    const sub = claims['sub']
    const id = typeof sub === 'string' ? `sub:${sub}` : `address:${addressOf(req)}`
    setPrincipal(res, { id, claims, expiresAtMs })
    next()
  }
}

/** The client's address (`req.ip` follows the `trustProxy` setting). */
export function addressOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown'
}

function challenge(res: Parameters<RequestHandler>[1], error: SyncError): SyncError {
  res.set('WWW-Authenticate', 'Bearer realm="fdb-live", error="invalid_token"')
  res.set('Cache-Control', 'no-store')
  return error
}
