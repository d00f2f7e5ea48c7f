/**
 * `@fdb-live/react-sync`: keeps TanStack Query current with fdb-live records over one
 * shared stream per origin.
 */
export { SyncProvider } from './provider.js'
export type { SyncProviderProps } from './provider.js'

export { useSyncOne, useSuspenseSyncOne } from './use-sync-one.js'
export type { SyncFields, UseSyncOneResult, UseSuspenseSyncOneResult } from './use-sync-one.js'

export { useSyncStatus } from './use-sync-status.js'

export { syncQueryOptions } from './sync-query-options.js'
export type { SyncQueryFn, SyncQueryOptions, UseSyncOneOptions } from './sync-query-options.js'

export { ownSyncQueryKey, syncQueryKey } from './query-key.js'
export type { AnySyncQueryKey, OwnSyncQueryKey, SyncQueryKey } from './query-key.js'

export { createSyncClient } from './sync-client.js'
export type {
  SubscribeOptions,
  SyncClient,
  SyncClientOptions,
  SyncKeyStatus,
  SyncStatusSnapshot,
} from './sync-client.js'
export type { SyncStatus } from './sync-status.js'
export type { CrossTabOptions } from './cross-tab.js'
export type { GetToken, GetTokenOptions } from './gateway-http.js'
export type { SyncEntry } from './cache-writer.js'
export type { KeyEvent, KeyErrorEvent, Subscription, ValueEvent } from './sync-events.js'
