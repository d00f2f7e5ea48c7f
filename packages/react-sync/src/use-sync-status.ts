import { useSyncExternalStore } from 'react'
import { useSyncContext } from './sync-context.js'
import type { SyncStatusSnapshot } from './sync-client.js'

const SERVER_SNAPSHOT: SyncStatusSnapshot = Object.freeze({
  status: 'connecting',
  lastError: undefined,
})

/**
 * The connection's status: `connecting` (never live yet), `live`, `reconnecting` (after a
 * failure; cached data stays on screen) or `offline` (the browser is offline), and the last
 * connection error. On the server it is always `connecting`.
 */
export function useSyncStatus(): SyncStatusSnapshot {
  const { client } = useSyncContext()
  return useSyncExternalStore(client.onStatusChange, client.getStatus, () => SERVER_SNAPSHOT)
}
