import { createPublicKey, type KeyObject } from 'node:crypto'
import { SyncError } from '@fdb-live/core'
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose'
import type { AuthOptions, TokenClaims } from './auth-options.js'

/** A token that passed every check. */
export interface VerifiedToken {
  claims: TokenClaims
  /** When the token stops being valid (`exp`), in ms since the epoch; none without `exp`. */
  expiresAtMs: number | undefined
}

/** Verifies a compact JWT; rejects with `unauthorized` (or `store_unavailable` if the JWKS is away). */
export type TokenVerifier = (token: string) => Promise<VerifiedToken>

type Key = KeyObject | Uint8Array | JWTVerifyGetKey

/**
 * Builds the verifier from {@link AuthOptions}: every signature, date, issuer and audience
 * check is jose's. Only the algorithms that fit the configured keys are accepted (never
 * `none`, never HS256 against a public key). Bad configuration throws `invalid_config`.
 */
export function createTokenVerifier(auth: AuthOptions): TokenVerifier {
  const keys = new Map<string, Key[]>()
  const add = (alg: string, key: Key): void => {
    keys.set(alg, [...(keys.get(alg) ?? []), key])
  }
  if (auth.secret !== undefined) {
    const secret = new TextEncoder().encode(auth.secret)
    if (secret.length < 32)
      throw new SyncError('invalid_config', 'The auth secret must be at least 32 bytes (HS256).')
    add('HS256', secret)
  }
  if (auth.publicKey !== undefined) add(...publicKeyAlg(auth.publicKey))
  if (auth.jwksUrl !== undefined) {
    let url: URL
    try {
      url = new URL(auth.jwksUrl)
    } catch {
      throw new SyncError('invalid_config', 'The JWKS URL is not a URL.')
    }
    const jwks = createRemoteJWKSet(url, {
      timeoutDuration: 5000,
      cooldownDuration: auth.jwksCooldownMs ?? 30_000,
    })
    for (const alg of ['RS256', 'ES256']) add(alg, jwks)
  }
  if (keys.size === 0)
    throw new SyncError('invalid_config', 'Auth needs a secret, a public key or a JWKS URL.')
  const checks: JWTVerifyOptions = {
    ...(auth.issuer === undefined ? {} : { issuer: auth.issuer }),
    ...(auth.audience === undefined ? {} : { audience: auth.audience }),
    clockTolerance: auth.clockToleranceSec ?? 0,
  }

  return async (token) => {
    let alg: unknown
    try {
      alg = decodeProtectedHeader(token).alg
    } catch {
      throw unauthorized('The token is not a JWT.')
    }
    const candidates = typeof alg === 'string' ? keys.get(alg) : undefined
    if (candidates === undefined)
      throw unauthorized('The token is not signed with an accepted key.')
    let failure: SyncError | undefined
    for (const key of candidates) {
      try {
        const options = { ...checks, algorithms: [alg as string] }
        const { payload } =
          typeof key === 'function'
            ? await jwtVerify(token, key, options)
            : await jwtVerify(token, key, options)
        return {
          claims: payload,
          expiresAtMs: payload.exp === undefined ? undefined : payload.exp * 1000,
        }
      } catch (error) {
        failure = toAuthError(error, typeof key === 'function')
      }
    }
    throw failure ?? unauthorized('The token is not accepted.')
  }
}

/** The algorithm that goes with a PEM public key: RS256 for RSA, ES256 for P-256. */
function publicKeyAlg(pem: string): [string, KeyObject] {
  let key: KeyObject
  try {
    key = createPublicKey(pem)
  } catch {
    throw new SyncError('invalid_config', 'The auth public key is not a PEM public key.')
  }
  if (key.asymmetricKeyType === 'rsa') return ['RS256', key]
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return ['ES256', key]
  throw new SyncError('invalid_config', 'The auth public key must be RSA (RS256) or P-256 (ES256).')
}

function toAuthError(error: unknown, fromKeySet: boolean): SyncError {
  if (error instanceof errors.JWTExpired) return unauthorized('The token has expired.')
  if (error instanceof errors.JWTClaimValidationFailed) {
    return unauthorized(
      error.claim === 'nbf'
        ? 'The token is not valid yet.'
        : `The token's ${error.claim} claim is not accepted.`,
    )
  }
  // The key set could not be fetched: the token may be fine, the client retries.
  if (fromKeySet && (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError))) {
    return new SyncError('store_unavailable', 'The token keys cannot be fetched now; retry.', {
      cause: error,
    })
  }
  return unauthorized('The token signature or format is not valid.')
}

function unauthorized(message: string): SyncError {
  return new SyncError('unauthorized', message)
}
