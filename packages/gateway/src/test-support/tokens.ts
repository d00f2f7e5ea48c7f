import { SignJWT, exportSPKI, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose'

/** The HS256 secret the security tests configure (32 bytes or more, as the gateway requires). */
export const TEST_SECRET_FOR_TESTING = 'test-secret-for-fdb-live-gateway-0123456789'

/** Options for {@link signTokenForTesting}. */
export interface SignTokenOptions {
  /** `fdb-live.subscribe` patterns; omitted: no grants claim. */
  grants?: string[]
  sub?: string
  iss?: string
  aud?: string
  /** Seconds from now (negative: already expired). @default 3600 */
  expiresInSec?: number
  /** Seconds from now until the token becomes valid. */
  notBeforeSec?: number
  /** Sign with this secret or private key instead of {@link TEST_SECRET_FOR_TESTING}. */
  key?: Uint8Array | CryptoKey
  alg?: 'HS256' | 'RS256' | 'ES256'
  kid?: string
  extra?: JWTPayload
}

/** A signed JWT as an app's token service would issue it (jose). */
export async function signTokenForTesting(options: SignTokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const claims: JWTPayload = { ...options.extra }
  if (options.grants !== undefined) claims['fdb-live'] = { subscribe: options.grants }
  let jwt = new SignJWT(claims)
    .setProtectedHeader({
      alg: options.alg ?? 'HS256',
      ...(options.kid === undefined ? {} : { kid: options.kid }),
    })
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresInSec ?? 3600))
  if (options.sub !== undefined) jwt = jwt.setSubject(options.sub)
  if (options.iss !== undefined) jwt = jwt.setIssuer(options.iss)
  if (options.aud !== undefined) jwt = jwt.setAudience(options.aud)
  if (options.notBeforeSec !== undefined) jwt = jwt.setNotBefore(now + options.notBeforeSec)
  return jwt.sign(options.key ?? new TextEncoder().encode(TEST_SECRET_FOR_TESTING))
}

/** A fresh key pair for RS256 or ES256, with the public key as PEM. */
export async function keyPairForTesting(
  alg: 'RS256' | 'ES256',
): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey; publicPem: string }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { privateKey, publicKey, publicPem: await exportSPKI(publicKey) }
}

/** `{ Authorization: 'Bearer …' }`. */
export function bearerForTesting(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` }
}
