/**
 * The reconnect backoff is core's one backoff (`@fdb-live/core`'s browser entry), so the
 * client and the gateway space their retries by the same rule.
 */
export { backoffDelayMs } from '@fdb-live/core'
export type { BackoffOptions } from '@fdb-live/core'
