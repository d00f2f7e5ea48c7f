import { randomUUID } from 'node:crypto'
import type { RequestHandler } from 'express'
import { SignJWT } from 'jose'

/** How the demo's API server issues gateway tokens (docs/security.md). */
export interface TokenIssuerOptions {
  /** The HS256 secret the gateway checks tokens with (`--auth-secret`). */
  secret: string
  /** The tenant the tokens grant. */
  tenant: string
  /** How long a token lives. @default 60 */
  lifetimeSec?: number
}

/** The cookie that keeps one visitor's identity (the token's `sub`) across tabs and refreshes. */
const VISITOR_COOKIE = 'demo_visitor'

/**
 * `POST /api/token` → `{ token, expiresInSec }`: a short-lived JWT that may only read the
 * tenant's quotes (`<tenant>/quotes/*`). Likes and changes go through this API server, not
 * the gateway, so the token needs no more. Its `sub` is a random visitor id kept in a
 * cookie: the tabs of one browser share one stream (react-sync's share key), another
 * browser is another principal with its own limits.
 */
export function tokenRoute(options: TokenIssuerOptions): RequestHandler {
  const key = new TextEncoder().encode(options.secret)
  const lifetimeSec = options.lifetimeSec ?? 60
  return async (req, res) => {
    let visitor = visitorFromCookie(req.headers.cookie)
    if (visitor === undefined) {
      visitor = randomUUID()
      res.cookie(VISITOR_COOKIE, visitor, { httpOnly: true, sameSite: 'strict', path: '/api' })
    }
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({
      'fdb-live': { subscribe: [`${encodeURIComponent(options.tenant)}/quotes/*`] },
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(`visitor:${visitor}`)
      .setIssuedAt(now)
      .setExpirationTime(now + lifetimeSec)
      .sign(key)
    res.set('Cache-Control', 'no-store').json({ token, expiresInSec: lifetimeSec })
  }
}

function visitorFromCookie(header: string | undefined): string | undefined {
  const match = /(?:^|;\s*)demo_visitor=([0-9a-f-]{36})(?:;|$)/.exec(header ?? '')
  return match?.[1]
}
