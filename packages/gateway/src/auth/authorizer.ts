import type { Logger } from 'pino'
import type { AuthorizeKey } from '../record-key.js'
import type { AuthorizeFn } from './auth-options.js'
import { tokenGrantsAllow } from './grants.js'
import type { Principal } from './principal.js'

/** Whether a principal may read one record (a subscription or a record read). */
export type RecordCheck = (principal: Principal, key: AuthorizeKey) => Promise<boolean>

/**
 * The gateway's one authorization decision. Without auth (no claims) everything is
 * allowed; with auth, the app's `authorize` decides, or by default the token's grants. An
 * `authorize` that throws or answers anything but `true` refuses: a broken check must fail
 * closed (the error is logged).
 */
export function createRecordCheck(authorize: AuthorizeFn | undefined, logger: Logger): RecordCheck {
  const decide = authorize ?? tokenGrantsAllow
  return async (principal, key) => {
    if (principal.claims === undefined) return true
    try {
      return (await decide(principal.claims, key)) === true
    } catch (error) {
      logger.error({ err: error, principal: principal.id, ...key }, 'authorize failed; refused')
      return false
    }
  }
}
