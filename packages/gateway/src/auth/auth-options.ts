import type { AuthorizeKey } from '../record-key.js'

/**
 * How the gateway verifies tokens (JWT, checked with `jose`). Give at least one key
 * source; several may be combined (the token's `alg` picks: HS256 → `secret`, RS256/ES256
 * → `publicKey`, then `jwksUrl`). See docs/security.md.
 */
export interface AuthOptions {
  /** Shared secret for HS256 tokens (at least 32 bytes). */
  secret?: string
  /** A PEM public key (SPKI) for RS256 (RSA) or ES256 (P-256) tokens. */
  publicKey?: string
  /** A JWKS URL; keys are fetched on demand, cached and refetched when a new `kid` appears. */
  jwksUrl?: string
  /**
   * Least time between two JWKS fetches: a token with an unknown `kid` (a rotated key)
   * triggers a refetch once this has passed since the last one.
   * @default 30000
   */
  jwksCooldownMs?: number
  /** Required `iss` claim. */
  issuer?: string
  /** Required `aud` claim (one of the token's audiences). */
  audience?: string
  /** Clock skew tolerated on `exp` and `nbf`, in seconds. @default 0 */
  clockToleranceSec?: number
}

/** The verified claims of a request's token. */
export type TokenClaims = Readonly<Record<string, unknown>>

/**
 * An app's own check of one subscription or record read: called once per subscription
 * (never per event) with the token's claims. It replaces the check of the token's
 * `fdb-live.subscribe` grants; call `tokenGrantsAllow(claims, key)` inside to keep it.
 * For a collection subscription `key.id` is `undefined` and `key.where` says which
 * collection (`null`: the whole schema); allowing it allows every record it will hold.
 */
export type AuthorizeFn = (claims: TokenClaims, key: AuthorizeKey) => boolean | Promise<boolean>

/** True when any key source is configured, i.e. the gateway requires tokens. */
export function authEnabled(auth: AuthOptions | undefined): boolean {
  return (
    auth !== undefined &&
    (auth.secret !== undefined || auth.publicKey !== undefined || auth.jwksUrl !== undefined)
  )
}
