import type { GetTokenOptions } from '@fdb-live/react-sync'

/** A token from `POST /api/token` and when to stop using it. */
let cached: Promise<{ token: string | null; renewAtMs: number }> | undefined

/**
 * The page's `getToken`: the API server's short-lived gateway token, cached until a few
 * seconds before it expires or until the client asks for a new one (`refresh`: the
 * gateway refused it, or it expired during the stream).
 */
export async function getGatewayToken(options?: GetTokenOptions): Promise<string | null> {
  const now = Date.now()
  if (cached === undefined || options?.refresh === true || (await cached).renewAtMs <= now) {
    cached = fetchToken()
    void cached.catch(() => (cached = undefined))
  }
  return (await cached).token
}

async function fetchToken(): Promise<{ token: string | null; renewAtMs: number }> {
  const response = await fetch('/api/token', { method: 'POST', cache: 'no-store' })
  if (!response.ok) throw new Error(`The API server answered ${response.status} for a token.`)
  const body = (await response.json()) as { token: string | null; expiresInSec?: number }
  // Renew a little early, so that a request rarely leaves with a token about to expire.
  const lifetimeMs = (body.expiresInSec ?? Number.POSITIVE_INFINITY) * 1000
  return { token: body.token, renewAtMs: Date.now() + lifetimeMs - Math.min(5000, lifetimeMs / 4) }
}
