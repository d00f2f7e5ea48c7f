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
    let released = false
    return {
      release: () => {
        if (released) return
        released = true
        usage.streams -= 1
        usage.subscriptions -= subscriptions
        if (usage.streams === 0) {
          this.#usage.delete(principal)
          this.#metrics.principals.dec()
        }
      },
    }
  }
}
