/**
 * Every error fdb-live raises on purpose is a {@link SyncError} with a `code` from this
 * table. The HTTP status is used by the gateway when the error crosses the wire as
 * `{ "error": { "code", "message" } }` (see docs/protocol.md).
 */
export const SYNC_ERROR_CODES = {
  // Bad input: the caller must change something.
  invalid_tenant: 400,
  invalid_schema: 400,
  invalid_id: 400,
  invalid_value: 400,
  invalid_version: 400,
  invalid_request: 400,
  invalid_config: 400,
  validation_failed: 422,
  value_too_large: 413,
  payload_too_large: 413,
  too_many_subscriptions: 400,
  /** A collection has more members than the configured limit: it is refused, not paged. */
  collection_too_large: 413,
  unsupported_media_type: 415,
  method_not_allowed: 405,
  route_not_found: 404,
  headers_too_large: 431,
  // Who may do what (docs/security.md).
  /** No token, or one the gateway does not accept (signature, issuer, audience, dates). */
  unauthorized: 401,
  /** The token is valid but its grants do not cover the record. */
  forbidden: 403,
  /** The token expired while its stream was open: get a new one and reconnect with `since`. */
  token_expired: 401,
  /** Over a per-principal or per-address limit: retry after the `Retry-After` delay. */
  rate_limited: 429,
  // Record state.
  not_found: 404,
  already_exists: 409,
  // Transactions and watches.
  transaction_conflict: 409,
  transaction_timeout: 408,
  /** FoundationDB could not confirm whether a commit landed: read before writing again. */
  commit_unknown: 503,
  watch_cancelled: 499,
  too_many_watches: 503,
  // The store itself.
  store_closed: 503,
  store_unavailable: 503,
  data_dir_unavailable: 500,
  store_not_found: 404,
  fdb_library_missing: 500,
  internal: 500,
} as const

export type SyncErrorCode = keyof typeof SYNC_ERROR_CODES

/**
 * Whether waiting and trying the same thing again can succeed, per error code: the one
 * answer the gateway's watches and reads, `watchRecord` and the browser client all use.
 * `true` for a store that is briefly away or busy; `false` when the caller must change
 * something (bad input, a full watch budget, a closed store) or for a bug (`internal`),
 * which retrying would only hide. Retry with `backoffDelayMs` (retry.ts).
 */
export const RETRYABLE_CODES: { readonly [C in SyncErrorCode]: boolean } = {
  invalid_tenant: false,
  invalid_schema: false,
  invalid_id: false,
  invalid_value: false,
  invalid_version: false,
  invalid_request: false,
  invalid_config: false,
  validation_failed: false,
  value_too_large: false,
  payload_too_large: false,
  too_many_subscriptions: false,
  collection_too_large: false,
  unsupported_media_type: false,
  method_not_allowed: false,
  route_not_found: false,
  headers_too_large: false,
  // The same token stays refused; a new one (from the app's token source) may not be.
  unauthorized: false,
  forbidden: false,
  token_expired: false,
  // Passes once the principal closes streams or the second is over.
  rate_limited: true,
  not_found: false,
  already_exists: false,
  transaction_conflict: true,
  transaction_timeout: true,
  // The write may have landed: the caller must read before deciding to write again.
  commit_unknown: false,
  watch_cancelled: false,
  // Frees up only when other subscribers leave: report it rather than wait silently.
  too_many_watches: false,
  store_closed: false,
  store_unavailable: true,
  // A store that is missing or unreadable now may be mounted, created or fixed later: a
  // gateway waits for it, a one-shot command reports it.
  data_dir_unavailable: true,
  store_not_found: true,
  fdb_library_missing: false,
  internal: false,
}

/** Options for {@link SyncError}. */
export interface SyncErrorOptions {
  /** The underlying error, kept for logs. */
  cause?: unknown
}

/**
 * The one error class of fdb-live. `message` says what went wrong and what to fix;
 * `code` is stable and machine-readable.
 */
export class SyncError extends Error {
  override readonly name = 'SyncError'
  readonly code: SyncErrorCode

  constructor(code: SyncErrorCode, message: string, options?: SyncErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
  }

  /** The HTTP status that goes with this error's code. */
  get httpStatus(): number {
    return SYNC_ERROR_CODES[this.code]
  }

  /** True when retrying the same operation unchanged may succeed (see `RETRYABLE_CODES`). */
  get retryable(): boolean {
    return RETRYABLE_CODES[this.code]
  }

  /** The wire shape: `{ error: { code, message } }`. */
  toJSON(): { error: { code: SyncErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } }
  }
}

/** True when `value` is a {@link SyncError}, optionally with the given code. */
export function isSyncError(value: unknown, code?: SyncErrorCode): value is SyncError {
  return value instanceof SyncError && (code === undefined || value.code === code)
}

/** True when `code` is a known {@link SyncErrorCode} (for errors parsed off the wire). */
export function isSyncErrorCode(code: unknown): code is SyncErrorCode {
  return typeof code === 'string' && Object.hasOwn(SYNC_ERROR_CODES, code)
}

/**
 * A piece of caller input for an error message, cut to a short prefix: a message that
 * echoed its input in full would turn a 900 KB id into a 900 KB answer (and a log line).
 */
export function quoteInput(value: unknown, maxChars = 64): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  if (text.length <= maxChars) return typeof value === 'string' ? JSON.stringify(value) : text
  const head = text.slice(0, maxChars)
  return `${typeof value === 'string' ? JSON.stringify(head) : head}… (${text.length} characters)`
}

/**
 * Converts anything thrown into a {@link SyncError}. Used once at each boundary (HTTP,
 * SSE, CLI) so that unknown errors never leak their internals to a client.
 */
export function toSyncError(error: unknown): SyncError {
  if (error instanceof SyncError) return error
  return new SyncError('internal', 'Internal error; see the server log for details.', {
    cause: error,
  })
}
