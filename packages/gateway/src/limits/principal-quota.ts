import type { LimitMetrics } from './limit-metrics.js'
import type { ResolvedLimits } from './limit-options.js'

/** A stream's share of its principal's quota; release it when the stream closes. */
export interface QuotaLease {
  release(): void
}

/** Which limit refused a stream. */
export type QuotaRefusal = 'streams' | 'subscriptions'

interface Usage {
  streams: number
  subscriptions: number
}

/**
 * Open streams and subscriptions per principal. A principal over its share is refused
 * new streams; what it already holds, and every other principal, are not affected. A
 * principal's entry lives only while it holds a stream, so memory follows open streams.
 */
export class PrincipalQuota {
  readonly #usage = new Map<string, Usage>()
  readonly #limits: ResolvedLimits
  readonly #metrics: LimitMetrics

  constructor(limits: ResolvedLimits, metrics: LimitMetrics) {
    this.#limits = limits
    this.#metrics = metrics
  }

  /** Takes one stream with `subscriptions` records for `principal`, or says which limit refuses it. */
  acquire(principal: string, subscriptions: number): QuotaLease | QuotaRefusal {
    const usage = this.#usage.get(principal) ?? { streams: 0, subscriptions: 0 }
    if (usage.streams + 1 > this.#limits.maxStreamsPerPrincipal) return 'streams'
    if (usage.subscriptions + subscriptions > this.#limits.maxSubscriptionsPerPrincipal)
      return 'subscriptions'
    usage.streams += 1
    usage.subscriptions += subscriptions
    if (!this.#usage.has(principal)) {
      this.#usage.set(principal, usage)
      this.#metrics.principals.inc()
    }
    return new Lease(this, principal, usage, subscriptions)
  }

  /** Gives one stream's share back (once per lease: {@link Lease} checks). */
  giveBack(principal: string, usage: Usage, subscriptions: number): void {
    usage.streams -= 1
    usage.subscriptions -= subscriptions
    if (usage.streams === 0) {
      this.#usage.delete(principal)
      this.#metrics.principals.dec()
    }
  }
}

/** One stream's share: an object rather than a closure, as every open stream holds one. */
class Lease implements QuotaLease {
  #released = false

  constructor(
    readonly quota: PrincipalQuota,
    readonly principal: string,
    readonly usage: Usage,
    readonly subscriptions: number,
  ) {}

  release(): void {
    if (this.#released) return
    this.#released = true
    this.quota.giveBack(this.principal, this.usage, this.subscriptions)
  }
}
