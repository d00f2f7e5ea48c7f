import type { QueryClient } from '@tanstack/react-query'
import { createContext, useContext } from 'react'
import type { SyncClient } from './sync-client.js'

/** What {@link SyncProvider} gives the hooks. */
export interface SyncContextValue {
  readonly client: SyncClient
  readonly queryClient: QueryClient
}

export const SyncContext = createContext<SyncContextValue | null>(null)

/** The provider's client and query client; throws outside a `<SyncProvider>`. */
export function useSyncContext(): SyncContextValue {
  const value = useContext(SyncContext)
  if (value === null) {
    throw new Error('fdb-live hooks must be used inside <SyncProvider gatewayUrl tenant>.')
  }
  return value
}
