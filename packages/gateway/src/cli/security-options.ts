import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { InvalidArgumentError, Option, type Command } from 'commander'
import type { Logger } from 'pino'
import { authEnabled, type AuthOptions } from '../auth/auth-options.js'
import type { LimitOptions } from '../limits/limit-options.js'
import type { SecurityOptions } from '../security.js'

/** The security flags of `fdb-live gateway`. */
export interface SecurityFlags {
  authSecret?: string
  authPublicKey?: string
  authJwksUrl?: string
  authIssuer?: string
  authAudience?: string
  metricsToken?: string
  insecureNoAuth?: boolean
  maxStreamsPerPrincipal?: number
  maxSubscriptionsPerPrincipal?: number
  maxConnectionsPerSecond?: number
  trustProxy?: string
}

/** Adds `--auth-*`, `--metrics-token`, `--insecure-no-auth`, the limits and `--trust-proxy`. */
export function addSecurityOptions(command: Command): Command {
  const env = (flag: string, description: string, variable: string) =>
    new Option(flag, description).env(variable)
  const count = (flag: string, description: string, variable: string) =>
    env(flag, description, variable).argParser(parseCount)
  return command
    .addOption(
      env('--auth-secret <secret>', 'HS256 secret for tokens (32+ bytes)', 'FDB_LIVE_AUTH_SECRET'),
    )
    .addOption(
      env(
        '--auth-public-key <file>',
        'PEM public key for RS256/ES256 tokens',
        'FDB_LIVE_AUTH_PUBLIC_KEY',
      ),
    )
    .addOption(
      env(
        '--auth-jwks-url <url>',
        'JWKS URL for tokens (cached, rotated)',
        'FDB_LIVE_AUTH_JWKS_URL',
      ),
    )
    .addOption(env('--auth-issuer <iss>', 'required token issuer', 'FDB_LIVE_AUTH_ISSUER'))
    .addOption(env('--auth-audience <aud>', 'required token audience', 'FDB_LIVE_AUTH_AUDIENCE'))
    .addOption(
      env(
        '--metrics-token <token>',
        'bearer token that GET /metrics requires',
        'FDB_LIVE_METRICS_TOKEN',
      ),
    )
    .addOption(
      new Option(
        '--insecure-no-auth',
        'listen on a non-loopback host without auth (every record to anyone who reaches it)',
      ),
    )
    .addOption(
      count(
        '--max-streams-per-principal <n>',
        'open streams per token subject (default with auth: 16)',
        'FDB_LIVE_MAX_STREAMS_PER_PRINCIPAL',
      ),
    )
    .addOption(
      count(
        '--max-subscriptions-per-principal <n>',
        'subscriptions per token subject (default with auth: 5000)',
        'FDB_LIVE_MAX_SUBSCRIPTIONS_PER_PRINCIPAL',
      ),
    )
    .addOption(
      count(
        '--max-connections-per-second <n>',
        'new connections per client address per second (default with auth: 20)',
        'FDB_LIVE_MAX_CONNECTIONS_PER_SECOND',
      ),
    )
    .addOption(
      env(
        '--trust-proxy <value>',
        "whose X-Forwarded-For to believe for client addresses (Express 'trust proxy': loopback, a hop count, addresses)",
        'FDB_LIVE_TRUST_PROXY',
      ),
    )
}

/**
 * The gateway's security options from the flags. Refuses (exit 2) a non-loopback host
 * without auth unless `--insecure-no-auth`, which is logged as a warning.
 */
export function securityFromFlags(
  flags: SecurityFlags,
  host: string,
  logger: Logger,
  fail: (message: string) => never,
): SecurityOptions {
  const auth: AuthOptions = {
    ...(flags.authSecret === undefined ? {} : { secret: flags.authSecret }),
    ...(flags.authPublicKey === undefined ? {} : { publicKey: readKey(flags.authPublicKey, fail) }),
    ...(flags.authJwksUrl === undefined ? {} : { jwksUrl: flags.authJwksUrl }),
    ...(flags.authIssuer === undefined ? {} : { issuer: flags.authIssuer }),
    ...(flags.authAudience === undefined ? {} : { audience: flags.authAudience }),
  }
  const enabled = authEnabled(auth)
  if (!enabled && (auth.issuer !== undefined || auth.audience !== undefined))
    fail(
      '--auth-issuer and --auth-audience need --auth-secret, --auth-public-key or --auth-jwks-url.',
    )
  if (!enabled && !isLoopback(host)) {
    if (flags.insecureNoAuth !== true) {
      fail(
        `refusing to listen on ${host} without auth: every record would be readable by anyone who reaches it. ` +
          'Give --auth-secret, --auth-public-key or --auth-jwks-url, or --insecure-no-auth behind your own auth proxy.',
      )
    }
    logger.warn({ host }, 'listening without auth on a non-loopback host (--insecure-no-auth)')
  }
  const limits: LimitOptions = {
    ...(flags.maxStreamsPerPrincipal === undefined
      ? {}
      : { maxStreamsPerPrincipal: flags.maxStreamsPerPrincipal }),
    ...(flags.maxSubscriptionsPerPrincipal === undefined
      ? {}
      : { maxSubscriptionsPerPrincipal: flags.maxSubscriptionsPerPrincipal }),
    ...(flags.maxConnectionsPerSecond === undefined
      ? {}
      : { maxConnectionsPerSecond: flags.maxConnectionsPerSecond }),
  }
  return {
    ...(enabled ? { auth } : {}),
    limits,
    ...(flags.metricsToken === undefined ? {} : { metricsToken: flags.metricsToken }),
    ...(flags.trustProxy === undefined ? {} : { trustProxy: parseTrustProxy(flags.trustProxy) }),
  }
}

/** `localhost`, 127.0.0.0/8 and ::1 (also as ::ffff:127.x). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (bare === 'localhost') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  return bare === '::1' || bare.startsWith('::ffff:127.')
}

function parseCount(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1.')
  return n
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true'
  return /^\d+$/.test(value) ? Number(value) : value
}

function readKey(file: string, fail: (message: string) => never): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    return fail(`cannot read --auth-public-key ${file}: ${(error as Error).message}`)
  }
}
