/**
 * Maps FoundationDB errors (the binding's `FDBError`, a numeric `code`) onto
 * {@link SyncError}. Pure: it never loads the binding, so it is testable without
 * libfdb_c.
 */
import { SyncError } from '../errors.js'

/** The FoundationDB error codes this store treats specially (fdb `error_definitions.h`). */
export const FDB_ERROR = {
  transaction_too_old: 1007,
  future_version: 1009,
  not_committed: 1020,
  commit_unknown_result: 1021,
  transaction_cancelled: 1025,
  transaction_timed_out: 1031,
  too_many_watches: 1032,
  cluster_version_changed: 1039,
  operation_cancelled: 1101,
  no_cluster_file_found: 1515,
  file_too_large: 1516,
  transaction_too_large: 2101,
  key_too_large: 2102,
  value_too_large: 2103,
  connection_string_invalid: 2104,
  api_version_not_supported: 2203,
} as const

/** An error raised by FoundationDB: the binding's `FDBError` carries a numeric `code`. */
export interface FdbErrorLike {
  readonly code: number
  readonly message: string
}

/** True for errors raised by FoundationDB (Node's own errors have string codes). */
export function isFdbError(error: unknown): error is FdbErrorLike {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number'
}

/** Where the error surfaced, for the message. */
export interface FdbErrorContext {
  /** What was being done, e.g. `'transaction'`, `'watch'`, `'ping'`. */
  operation: string
  /** The retry limit in force, to explain a `transaction_conflict`. */
  maxRetries?: number
  /** The timeout in force, to explain a `transaction_timeout`. */
  timeoutMs?: number
  /** True when the store was closed, which is why operations were cancelled. */
  closed?: boolean
}

/**
 * Converts anything a FoundationDB call threw into a {@link SyncError}. A `SyncError`
 * passes through unchanged; a non-FoundationDB error (thrown by user code in a
 * transaction body) is returned as is, so callers see their own errors.
 */
export function fdbErrorToSyncError(error: unknown, context: FdbErrorContext): unknown {
  if (error instanceof SyncError || !isFdbError(error)) return error
  const what = `FoundationDB ${context.operation} failed: ${error.message} (error ${error.code})`
  const cause = { cause: error }
  switch (error.code) {
    case FDB_ERROR.too_many_watches:
      return new SyncError(
        'too_many_watches',
        `${what}. The connection holds its maximum number of watches; raise the database ` +
          'option max_watches (FdbStoreOptions.maxWatches, up to 1,000,000) or watch fewer keys.',
        cause,
      )
    case FDB_ERROR.not_committed:
      return new SyncError(
        'transaction_conflict',
        `${what}. The transaction kept conflicting with concurrent writes` +
          (context.maxRetries === undefined
            ? ''
            : ` and gave up after ${context.maxRetries} retries`) +
          '; retry later or make the transaction touch fewer keys.',
        cause,
      )
    case FDB_ERROR.transaction_too_old:
    case FDB_ERROR.transaction_timed_out:
      return new SyncError(
        'transaction_timeout',
        `${what}. FoundationDB transactions may run for at most 5 seconds` +
          (context.timeoutMs === undefined
            ? ''
            : ` (this one was limited to ${context.timeoutMs} ms)`) +
          '; do less work per transaction.',
        cause,
      )
    case FDB_ERROR.transaction_too_large:
    case FDB_ERROR.value_too_large:
      return new SyncError(
        'value_too_large',
        `${what}. Values are limited to 100,000 bytes and transactions to 10,000,000 bytes.`,
        cause,
      )
    case FDB_ERROR.key_too_large:
      return new SyncError(
        'invalid_request',
        `${what}. Keys are limited to 10,000 bytes; use shorter tenant, schema or id names.`,
        cause,
      )
    case FDB_ERROR.operation_cancelled:
    case FDB_ERROR.transaction_cancelled:
      return context.closed === true
        ? new SyncError('store_closed', `${what}. The store was closed.`, cause)
        : new SyncError('store_unavailable', `${what}. The operation was cancelled.`, cause)
    default:
      return new SyncError(
        'store_unavailable',
        `${what}. Check that the cluster is reachable (fdbcli --exec status).`,
        cause,
      )
  }
}

/**
 * Like {@link fdbErrorToSyncError}, for calls whose errors all come from FoundationDB
 * (watches, versionstamps): anything else becomes `store_unavailable` too.
 */
export function fdbFailureToSyncError(error: unknown, context: FdbErrorContext): SyncError {
  const mapped = fdbErrorToSyncError(error, context)
  if (mapped instanceof SyncError) return mapped
  return new SyncError(
    'store_unavailable',
    `FoundationDB ${context.operation} failed: ${mapped instanceof Error ? mapped.message : String(mapped)}`,
    { cause: mapped },
  )
}

/** Like {@link fdbErrorToSyncError} for errors raised while opening the database. */
export function fdbOpenErrorToSyncError(
  error: unknown,
  clusterFile: string | undefined,
): SyncError {
  const file =
    clusterFile ?? 'the default cluster file ($FDB_CLUSTER_FILE or /etc/foundationdb/fdb.cluster)'
  const message = error instanceof Error ? error.message : String(error)
  const cause = { cause: error }
  if (isFdbError(error)) {
    switch (error.code) {
      case FDB_ERROR.no_cluster_file_found:
      case FDB_ERROR.file_too_large:
      case FDB_ERROR.connection_string_invalid:
        return new SyncError(
          'invalid_config',
          `Cannot use FoundationDB cluster file ${file}: ${message} (error ${error.code}). ` +
            'Pass clusterFile or set FDB_CLUSTER_FILE to a file containing e.g. docker:docker@127.0.0.1:4500.',
          cause,
        )
      case FDB_ERROR.api_version_not_supported:
        return new SyncError(
          'invalid_config',
          `The installed libfdb_c does not support the requested FoundationDB API version: ` +
            `${message} (error ${error.code}). API version 720 needs foundationdb-clients 7.2 or newer.`,
          cause,
        )
    }
  }
  return new SyncError(
    'store_unavailable',
    `Cannot open the FoundationDB database with ${file}: ${message}`,
    cause,
  )
}
