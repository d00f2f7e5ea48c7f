import type { IncomingMessage } from 'node:http'

/** The cookie that carries the token for a plain `EventSource` (which cannot set headers). */
export const TOKEN_COOKIE = 'fdb_live_token'

/**
 * The request's token: `Authorization: Bearer <jwt>` first, else the `fdb_live_token`
 * cookie. Never the URL: query strings end up in proxy and access logs.
 */
export function tokenOfRequest(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization
  if (header !== undefined) {
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header)
    return match?.[1]
  }
  const cookies = req.headers.cookie
  if (cookies === undefined) return undefined
  for (const pair of cookies.split(';')) {
    const eq = pair.indexOf('=')
    if (eq < 0 || pair.slice(0, eq).trim() !== TOKEN_COOKIE) continue
    const value = pair.slice(eq + 1).trim()
    return value.length > 0 ? value : undefined
  }
  return undefined
}
