/**
 * Per-principal and per-address limits (docs/security.md). The defaults apply when the
 * gateway checks tokens; an open gateway (no auth) keeps only the limits given here, so
 * that a local demo or benchmark with many streams from one address works as before.
 */
export interface LimitOptions {
  /** Most streams one principal (token `sub`, or address) holds open at once. @default 16 */
  maxStreamsPerPrincipal?: number
  /** Most subscriptions across one principal's open streams. @default 5000 */
  maxSubscriptionsPerPrincipal?: number
  /** Most new connections one client address opens per second. @default 20 */
  maxConnectionsPerSecond?: number
}

/** {@link LimitOptions} with every default filled in. */
export type ResolvedLimits = Required<LimitOptions>

export const DEFAULT_LIMITS: ResolvedLimits = {
  maxStreamsPerPrincipal: 16,
  maxSubscriptionsPerPrincipal: 5000,
  maxConnectionsPerSecond: 20,
}

/** Fills in the defaults (with auth) or no limit (an open gateway) for what is not given. */
export function resolveLimits(options: LimitOptions | undefined, auth: boolean): ResolvedLimits {
  const fallback = (key: keyof LimitOptions): number =>
    auth ? DEFAULT_LIMITS[key] : Number.POSITIVE_INFINITY
  return {
    maxStreamsPerPrincipal: options?.maxStreamsPerPrincipal ?? fallback('maxStreamsPerPrincipal'),
    maxSubscriptionsPerPrincipal:
      options?.maxSubscriptionsPerPrincipal ?? fallback('maxSubscriptionsPerPrincipal'),
    maxConnectionsPerSecond:
      options?.maxConnectionsPerSecond ?? fallback('maxConnectionsPerSecond'),
  }
}
