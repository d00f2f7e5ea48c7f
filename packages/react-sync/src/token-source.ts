import type { GetToken } from './gateway-http.js'

type Token = string | null | undefined

/**
 * Calls an app's `getToken`, sharing refreshes: when several requests are refused with one
 * expired token at once (the stream and the record reads of a page), `getToken` is asked
 * for a new token once, and a request that was refused with an older token than the newest
 * refreshed one retries with that one instead of asking again.
 */
export interface TokenSource {
  /** The token for a new request. */
  current(): Promise<Token>
  /** A new token, because `refused` (the token a request was sent with) was refused. */
  refresh(refused: Token): Promise<Token>
}

/** Creates a {@link TokenSource} over `getToken`. */
export function createTokenSource(getToken: GetToken): TokenSource {
  let refreshing: Promise<Token> | undefined
  let refreshed: { token: Token } | undefined
  return {
    current: async () => getToken({ refresh: false }),
    async refresh(refused) {
      if (refreshing !== undefined) return refreshing
      if (refreshed !== undefined && refreshed.token !== refused) return refreshed.token
      refreshing = Promise.resolve(getToken({ refresh: true })).then((token) => {
        refreshed = { token }
        return token
      })
      try {
        return await refreshing
      } finally {
        refreshing = undefined
      }
    },
  }
}
