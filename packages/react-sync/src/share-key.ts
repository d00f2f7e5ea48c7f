import type { TokenSource } from './token-source.js'

/**
 * The identity whose tabs may share one stream (cross-tab). Tabs share a stream only when
 * their keys are equal, so a tab never receives records fetched with another user's token.
 *
 * - `shareKey` given: that key.
 * - No `getToken` (an open gateway, or auth by cookie): `''`, every tab of the origin shares.
 * - Otherwise the token's `sub`. The payload is decoded, not verified: the key only decides
 *   which tabs pool their streams, and the gateway verifies every token it receives.
 *   A token without a readable `sub` gives `undefined`: the tab does not share.
 */
export async function resolveShareKey(
  shareKey: string | undefined,
  tokens: TokenSource | undefined,
): Promise<string | undefined> {
  if (shareKey !== undefined) return shareKey
  if (tokens === undefined) return ''
  const token = await tokens.current()
  return token ? tokenSubject(token) : undefined
}

/** The `sub` claim of a JWT, decoded without verification; `undefined` if it has none. */
export function tokenSubject(token: string): string | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/')
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as { sub?: unknown }
    return typeof claims.sub === 'string' ? `sub:${claims.sub}` : undefined
  } catch {
    return undefined
  }
}
