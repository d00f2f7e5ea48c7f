import { SyncError } from '@fdb-live/core'
import type { Response } from 'express'
import type { LimitMetrics } from '../limits/limit-metrics.js'
import type { PrincipalQuota, QuotaLease } from '../limits/principal-quota.js'
import { whereOnWire } from '../collection-key.js'
import type { CollectionSubscription, StreamSubscription } from '../subscriptions.js'
import type { RecordCheck } from './authorizer.js'
import { principalOf } from './principal.js'

/** A stream that may open: which subscriptions it serves, and its share of the quota. */
export interface StreamAdmission {
  /** Subscriptions the principal may follow, in request order. */
  allowed: StreamSubscription[]
  /** Subscriptions outside the grants: each gets an `error` event `forbidden`. */
  forbidden: StreamSubscription[]
  /** Collections the principal may follow (grants cover every record of the schema). */
  allowedCollections: CollectionSubscription[]
  /** Collections outside the grants: each gets an `error` event `forbidden`. */
  forbiddenCollections: CollectionSubscription[]
  /** When the token expires: the stream then gets `token_expired` and ends. */
  expiresAtMs: number | undefined
  /** Gives the quota back; call when the stream closes. */
  release(): void
  /** Counts the stream's end by token expiry. */
  expired(): void
}

/** A stream that may not open now; retry after `retryAfterMs`. */
export interface StreamRefusal {
  refused: SyncError
  retryAfterMs: number
}

/** Decides whether a validated stream request may open (see {@link admitStream}). */
export type AdmitStream = (
  res: Response,
  tenant: string,
  subscriptions: readonly StreamSubscription[],
  collections?: readonly CollectionSubscription[],
) => Promise<StreamAdmission | StreamRefusal>

/**
 * Authorizes each subscription once (never per event), then takes the principal's quota
 * for the allowed ones: over its stream or subscription limit the whole stream is refused
 * with `rate_limited` (a 429 for a POST, the transient refusal for a GET).
 */
export function createStreamAdmission(
  check: RecordCheck,
  quota: PrincipalQuota,
  metrics: LimitMetrics,
  retryAfterMs: number,
): AdmitStream {
  return async (res, tenant, subscriptions, collections = []) => {
    const principal = principalOf(res)
    const [decisions, collectionDecisions] = await Promise.all([
      Promise.all(
        subscriptions.map((sub) => check(principal, { tenant, schema: sub.schema, id: sub.id })),
      ),
      Promise.all(
        collections.map((sub) =>
          check(principal, {
            tenant,
            schema: sub.schema,
            id: undefined,
            where: whereOnWire(sub.where),
          }),
        ),
      ),
    ])
    const allowed = subscriptions.filter((_, index) => decisions[index])
    const forbidden = subscriptions.filter((_, index) => !decisions[index])
    const allowedCollections = collections.filter((_, index) => collectionDecisions[index])
    const forbiddenCollections = collections.filter((_, index) => !collectionDecisions[index])
    const refused = forbidden.length + forbiddenCollections.length
    for (let i = 0; i < refused; i++) metrics.refused('forbidden', 'grant')
    // A collection counts as one subscription, whatever its size.
    const lease = quota.acquire(principal.id, allowed.length + allowedCollections.length)
    if (typeof lease === 'string') {
      metrics.refused('rate_limited', lease)
      const what = lease === 'streams' ? 'open streams' : 'subscriptions across your streams'
      return {
        refused: new SyncError('rate_limited', `Too many ${what}; close some or retry later.`),
        retryAfterMs,
      }
    }
    return new Admission(
      allowed,
      forbidden,
      allowedCollections,
      forbiddenCollections,
      principal.expiresAtMs,
      lease,
      metrics,
    )
  }
}

/** An object rather than closures over the admission's scope: every open stream holds one. */
class Admission implements StreamAdmission {
  constructor(
    readonly allowed: StreamSubscription[],
    readonly forbidden: StreamSubscription[],
    readonly allowedCollections: CollectionSubscription[],
    readonly forbiddenCollections: CollectionSubscription[],
    readonly expiresAtMs: number | undefined,
    readonly lease: QuotaLease,
    readonly metrics: LimitMetrics,
  ) {}

  release(): void {
    this.lease.release()
  }

  expired(): void {
    this.metrics.refused('token_expired', 'expired')
  }
}
