// Everything that is safe in a browser (schemas, versions, names, errors) lives in
// browser.ts; this entry adds the stores and the Repo API for Node.js.
export * from './browser.js'

export { openStore } from './open-store.js'
export type { StoreConfig, EmbeddedStoreConfig, FdbStoreConfig } from './open-store.js'
export type {
  KvEntry,
  KvStore,
  KvTransaction,
  KvWatch,
  RangeOptions,
  StoreKind,
  StoreStatus,
  TransactOptions,
} from './kv/store.js'

export { createRepo } from './repo/repo.js'
export { parseWhere, describeCollection, MAX_INDEX_VALUE_BYTES } from './repo/collection-keys.js'
export type { IndexMatch } from './repo/collection-keys.js'
export type {
  ChangesSinceOptions,
  CollectionChange,
  CollectionChanges,
  CollectionQuery,
  IndexValue,
  ListOptions,
  WatchedCollection,
  RecordState,
  RecordWatch,
  Repo,
  RepoOptions,
  RepoTransaction,
  SyncRecord,
  TenantRepo,
  WatchRecordOptions,
  WatchedState,
  WriteResult,
} from './repo/types.js'
