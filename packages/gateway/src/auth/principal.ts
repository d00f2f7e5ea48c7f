import type { Response } from 'express'
import type { TokenClaims } from './auth-options.js'

/**
 * Who a request comes from: the token's subject when the gateway checks tokens, else the
 * client's address. Limits are counted per principal (docs/security.md).
 */
export interface Principal {
  /** `sub:<subject>` or `address:<ip>`. */
  readonly id: string
  /** The verified claims; `undefined` when the gateway runs without auth (everything allowed). */
  readonly claims: TokenClaims | undefined
  /** When the token expires (ms since the epoch), if it does. */
  readonly expiresAtMs: number | undefined
}

const KEY = 'fdbLivePrincipal'

/** Stores the principal the authentication middleware found. */
export function setPrincipal(res: Response, principal: Principal): void {
  res.locals[KEY] = principal
}

/** The principal of a request that passed authentication. */
export function principalOf(res: Response): Principal {
  const principal = res.locals[KEY] as Principal | undefined
  // Routes under /v1 are mounted after the authentication middleware.
  if (principal === undefined) throw new Error('no principal: authentication did not run')
  return principal
}
