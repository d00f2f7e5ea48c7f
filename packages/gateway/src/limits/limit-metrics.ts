import { Counter, Gauge, type Registry } from 'prom-client'
import type { ResolvedLimits } from './limit-options.js'

/** Why a request or stream was refused, for `fdb_live_gateway_refusals_total`. */
export type RefusalReason =
  | 'no_token'
  | 'invalid_token'
  | 'metrics_token'
  | 'grant'
  | 'expired'
  | 'streams'
  | 'subscriptions'
  | 'connections'

/** The security and fairness instruments, registered on the gateway's registry. */
export interface LimitMetrics {
  refused(
    code: 'unauthorized' | 'forbidden' | 'rate_limited' | 'token_expired',
    reason: RefusalReason,
  ): void
  /** Principals with at least one open stream. */
  readonly principals: Gauge
}

const PREFIX = 'fdb_live_gateway_'

/** Creates the instruments, and publishes the configured limits as `fdb_live_gateway_limit{limit}`. */
export function createLimitMetrics(
  registry: Registry,
  limits: ResolvedLimits & { maxSubscriptionsPerStream: number; bodyLimitBytes: number },
): LimitMetrics {
  const registers = [registry]
  const refusals = new Counter({
    name: `${PREFIX}refusals_total`,
    help: 'Requests, streams and subscriptions refused, by code and reason (no_token, invalid_token, grant, expired, streams, subscriptions, connections, metrics_token).',
    labelNames: ['code', 'reason'],
    registers,
  })
  const limit = new Gauge({
    name: `${PREFIX}limit`,
    help: 'The configured limits.',
    labelNames: ['limit'],
    registers,
  })
  limit.set({ limit: 'streams_per_principal' }, limits.maxStreamsPerPrincipal)
  limit.set({ limit: 'subscriptions_per_principal' }, limits.maxSubscriptionsPerPrincipal)
  limit.set({ limit: 'connections_per_address_per_second' }, limits.maxConnectionsPerSecond)
  limit.set({ limit: 'subscriptions_per_stream' }, limits.maxSubscriptionsPerStream)
  limit.set({ limit: 'body_bytes' }, limits.bodyLimitBytes)
  return {
    refused: (code, reason) => refusals.inc({ code, reason }),
    principals: new Gauge({
      name: `${PREFIX}principals`,
      help: 'Principals (token subjects, or addresses without auth) with at least one open stream.',
      registers,
    }),
  }
}
