import { SyncError } from '@fdb-live/core'
import type { CorsOptions } from 'cors'
import type { RequestHandler } from 'express'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { authEnabled, type AuthOptions, type AuthorizeFn } from './auth/auth-options.js'
import { authenticate } from './auth/authenticate.js'
import { createRecordCheck } from './auth/authorizer.js'
import { metricsGuard } from './auth/metrics-guard.js'
import { recordGuard } from './auth/record-guard.js'
import { createStreamAdmission, type AdmitStream } from './auth/stream-admission.js'
import { createTokenVerifier } from './auth/token-verifier.js'
import { connectionRate } from './limits/connection-rate.js'
import { createLimitMetrics } from './limits/limit-metrics.js'
import { resolveLimits, type LimitOptions } from './limits/limit-options.js'
import { PrincipalQuota } from './limits/principal-quota.js'

/** The gateway's security options (docs/security.md); part of `GatewayOptions`. */
export interface SecurityOptions {
  /**
   * Token verification. Without a key source the gateway is open (every record of every
   * tenant to anyone who reaches it): keep it on loopback or behind an auth proxy.
   */
  auth?: AuthOptions
  /** An app's own per-subscription check; replaces the token-grant check. Needs `auth`. */
  authorize?: AuthorizeFn
  /** A bearer token that `GET /metrics` requires. @default none: /metrics is open */
  metricsToken?: string
  /** Per-principal and per-address limits. */
  limits?: LimitOptions
  /**
   * Express's `trust proxy` setting: whose `X-Forwarded-For` to believe for the client
   * address (per-address limits). @default false: the TCP peer's address
   */
  trustProxy?: boolean | number | string
}

/** The middleware and checks {@link createSecurity} builds for `createGateway`. */
export interface Security {
  /** `X-Content-Type-Options: nosniff` on every answer. */
  readonly headers: RequestHandler
  /** For `/v1` (after healthz): new connections per address, then the token. */
  readonly v1: RequestHandler[]
  /** Ahead of the record route: grants. */
  readonly recordGuard: RequestHandler
  /** Ahead of `/metrics`: the metrics token. */
  readonly metricsGuard: RequestHandler
  /** For the stream routes: grants per subscription, quota per principal. */
  readonly admitStream: AdmitStream
}

/** Builds the gateway's security from its options; bad configuration throws `invalid_config`. */
export function createSecurity(
  options: SecurityOptions & {
    retryMs: number
    maxSubscriptionsPerStream: number
    bodyLimitBytes: number
  },
  registry: Registry,
  logger: Logger,
): Security {
  const enabled = authEnabled(options.auth)
  if (!enabled && options.authorize !== undefined)
    throw new SyncError(
      'invalid_config',
      '`authorize` needs `auth`: without tokens there are no claims.',
    )
  const verify = enabled ? createTokenVerifier(options.auth ?? {}) : undefined
  const limits = resolveLimits(options.limits, enabled)
  const metrics = createLimitMetrics(registry, {
    ...limits,
    maxSubscriptionsPerStream: options.maxSubscriptionsPerStream,
    bodyLimitBytes: options.bodyLimitBytes,
  })
  const check = createRecordCheck(options.authorize, logger)
  const quota = new PrincipalQuota(limits, metrics)
  return {
    headers: (_req, res, next) => {
      res.set('X-Content-Type-Options', 'nosniff')
      next()
    },
    v1: [connectionRate(limits.maxConnectionsPerSecond, metrics), authenticate(verify, metrics)],
    recordGuard: recordGuard(check, metrics),
    metricsGuard: metricsGuard(options.metricsToken, metrics),
    admitStream: createStreamAdmission(check, quota, metrics, options.retryMs),
  }
}

/**
 * CORS from an allow-list: those origins may send credentials (the token cookie). `'*'`
 * allows any origin without credentials (the `cors` package never pairs them).
 */
export function corsOptions(origins: readonly string[] | '*'): CorsOptions {
  return {
    origin: origins === '*' ? '*' : [...origins],
    credentials: origins !== '*',
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    // Retry-After: a browser client must read it on a 429 or 503 to wait as long as asked.
    exposedHeaders: ['ETag', 'FDB-Live-Epoch', 'Retry-After'],
    maxAge: 600,
  }
}
