/**
 * `@fdb-live/react-sync`: keeps TanStack Query current with fdb-live records over one
 * shared stream per origin.
 */
export { SyncProvider } from './provider.js'
export type { SyncProviderProps } from './provider.js'

export { useSyncOne, useSuspenseSyncOne } from './use-sync-one.js'
export type { SyncFields, UseSyncOneResult, UseSuspenseSyncOneResult } from './use-sync-one.js'

export { useSyncList, useSuspenseSyncList } from './use-sync-list.js'
export type {
  SyncListFields,
  UseSyncListResult,
  UseSuspenseSyncListResult,
} from './use-sync-list.js'
export { syncListQueryOptions } from './sync-list-query-options.js'
export type {
  SyncListMember,
  SyncListQueryOptions,
  UseSyncListOptions,
} from './sync-list-query-options.js'

export { useSyncStatus } from './use-sync-status.js'

export { syncQueryOptions } from './sync-query-options.js'
export type { SyncQueryFn, SyncQueryOptions, UseSyncOneOptions } from './sync-query-options.js'

export { ownSyncQueryKey, syncListQueryKey, syncQueryKey } from './query-key.js'
export type {
  AnySyncQueryKey,
  OwnSyncQueryKey,
  SyncListQueryKey,
  SyncQueryKey,
} from './query-key.js'

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
export type { SyncEntry, SyncListEntry } from './cache-writer.js'
export type {
  CollectionChangeEvent,
  CollectionErrorEvent,
  CollectionEvent,
  CollectionResetEvent,
  CollectionSubscription,
  CollectionSyncedEvent,
  KeyEvent,
  KeyErrorEvent,
  Subscription,
  SyncWhere,
  ValueEvent,
} from './sync-events.js'
