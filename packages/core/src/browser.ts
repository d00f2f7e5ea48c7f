/**
 * The browser-safe part of `@fdb-live/core`: schemas, versions, names and errors, with no
 * Node.js or store code. Bundlers pick it through the `browser` export condition, so
 * `import { defineSchema } from '@fdb-live/core'` works the same in server and browser code.
 */
export {
  SyncError,
  SYNC_ERROR_CODES,
  RETRYABLE_CODES,
  isSyncError,
  isSyncErrorCode,
  quoteInput,
  toSyncError,
} from './errors.js'
export type { SyncErrorCode, SyncErrorOptions } from './errors.js'
export { STORE_BACKOFF, backoffDelayMs, retrying, wait } from './retry.js'
export type { BackoffOptions, RetryingOptions } from './retry.js'

export { assertEpoch, isEpoch } from './epoch.js'
export type { Epoch } from './epoch.js'

export { defineSchema, assertSchemaName, assertIndexName } from './schema.js'
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

export type {
  CollectionChange,
  CollectionChanges,
  CollectionQuery,
  IndexValue,
  RecordState,
  SyncRecord,
} from './repo/types.js'
