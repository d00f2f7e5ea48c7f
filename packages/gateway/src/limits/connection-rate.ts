import type { Socket } from 'node:net'
import { SyncError } from '@fdb-live/core'
import type { RequestHandler } from 'express'
import { addressOf } from '../auth/authenticate.js'
import { isGetStream, refuseStream } from '../stream-refusal.js'
import type { LimitMetrics } from './limit-metrics.js'

/**
 * At most `perSecond` new connections per client address in each one-second window
 * (requests on a kept-alive connection are not new). Over it: `429 rate_limited` with
 * `Retry-After: 1`, or for a GET stream the transient refusal (200, `retry:`, an `error`
 * event `rate_limited`, end). Runs before token verification, so a flood costs no crypto.
 * Memory: the addresses seen in the current second.
 */
export function connectionRate(perSecond: number, metrics: LimitMetrics): RequestHandler {
  const seen = new WeakSet<Socket>()
  let window = 0
  let counts = new Map<string, number>()
  return (req, res, next) => {
    if (seen.has(req.socket)) {
      next()
      return
    }
    seen.add(req.socket)
    const now = Math.floor(Date.now() / 1000)
    if (now !== window) {
      window = now
      counts = new Map()
    }
    const address = addressOf(req)
    const count = (counts.get(address) ?? 0) + 1
    counts.set(address, count)
    if (count <= perSecond) {
      next()
      return
    }
    metrics.refused('rate_limited', 'connections')
    const error = new SyncError(
      'rate_limited',
      `More than ${perSecond} new connections from this address in one second; retry after 1 s.`,
    )
    if (isGetStream(req)) {
      refuseStream(req, res, error, 1000 + Math.round(Math.random() * 1000))
      return
    }
    res.set('Retry-After', '1')
    throw error
  }
}
