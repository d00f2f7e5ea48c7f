import { SyncError, quoteInput } from './errors.js'

/** Longest tenant name, in UTF-8 bytes. */
export const MAX_TENANT_BYTES = 256
/** Longest record id, in UTF-8 bytes (well under FoundationDB's 10,000-byte key limit). */
export const MAX_ID_BYTES = 1024

// C0 controls and DEL. Anything else printable is allowed: keys are tuple-encoded, so
// "/" or "\u0000"-free Unicode never collides with the layout.
const utf8 = new TextEncoder()
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/
// A lone surrogate has no UTF-8 form: the tuple encoder writes U+FFFD for it, so two
// different names would share one key (and one tenant could read another's records).
const LONE_SURROGATE = /\p{Surrogate}/u

function checkName(
  code: 'invalid_tenant' | 'invalid_id',
  what: string,
  value: unknown,
  maxBytes: number,
): asserts value is string {
  const fix = `use a non-empty string of at most ${maxBytes} UTF-8 bytes without control characters or lone surrogates`
  if (typeof value !== 'string' || value.length === 0) {
    throw new SyncError(code, `Invalid ${what} ${quoteInput(value)}: ${fix}.`)
  }
  if (CONTROL.test(value)) {
    throw new SyncError(
      code,
      `Invalid ${what} ${quoteInput(value)}: it contains a control character; ${fix}.`,
    )
  }
  if (LONE_SURROGATE.test(value)) {
    throw new SyncError(
      code,
      `Invalid ${what} ${quoteInput(value)}: it contains a lone UTF-16 surrogate (not valid Unicode); ${fix}.`,
    )
  }
  const bytes = utf8.encode(value).length
  if (bytes > maxBytes) {
    throw new SyncError(code, `Invalid ${what}: it is ${bytes} bytes long; ${fix}.`)
  }
}

/** Throws `invalid_tenant` unless `tenant` is a valid tenant name. */
export function assertTenant(tenant: unknown): asserts tenant is string {
  checkName('invalid_tenant', 'tenant', tenant, MAX_TENANT_BYTES)
}

/** Throws `invalid_id` unless `id` is a valid record id. */
export function assertId(id: unknown): asserts id is string {
  checkName('invalid_id', 'record id', id, MAX_ID_BYTES)
}
