export {
  SyncError,
  SYNC_ERROR_CODES,
  isSyncError,
  isSyncErrorCode,
  toSyncError,
} from './errors.js'
export type { SyncErrorCode, SyncErrorOptions } from './errors.js'

export { defineSchema, assertSchemaName } from './schema.js'
export type { Schema, SchemaOptions, SchemaType } from './schema.js'

export {
  ZERO_VERSION,
  VERSIONSTAMP_BYTES,
  assertVersion,
  compareVersions,
  isVersion,
  versionFromBytes,
  versionToBytes,
} from './version.js'
export type { Version } from './version.js'

export { assertTenant, assertId, MAX_TENANT_BYTES, MAX_ID_BYTES } from './names.js'

export { openStore } from './open-store.js'
export type { StoreConfig, EmbeddedStoreConfig, FdbStoreConfig } from './open-store.js'
export type {
  KvEntry,
  KvStore,
  KvTransaction,
  KvWatch,
  RangeOptions,
  StoreKind,
  TransactOptions,
} from './kv/store.js'

export { createRepo } from './repo/repo.js'
export type {
  RecordState,
  RecordWatch,
  Repo,
  RepoOptions,
  RepoTransaction,
  SyncRecord,
  TenantRepo,
  WatchRecordOptions,
  WriteResult,
} from './repo/types.js'
