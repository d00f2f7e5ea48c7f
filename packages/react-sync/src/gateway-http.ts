import { SyncError, ZERO_VERSION, isSyncErrorCode, isVersion } from '@fdb-live/core'
import { syncEntry, type SyncEntry } from './cache-writer.js'

/** Returns the bearer token to send, if any; called before every request. */
export type GetToken = () => string | null | undefined | Promise<string | null | undefined>

/** What requests to the gateway need. */
export interface GatewayHttp {
  readonly gatewayUrl: string
  readonly tenant: string
  readonly fetch: typeof fetch
  readonly getToken: GetToken | undefined
}

/** `<gatewayUrl>/v1/tenants/:tenant/<path>`, each segment percent-encoded. */
export function tenantUrl(http: GatewayHttp, ...segments: string[]): string {
  const base = http.gatewayUrl.replace(/\/+$/, '')
  const path = ['v1', 'tenants', http.tenant, ...segments].map(encodeURIComponent).join('/')
  return `${base}/${path}`
}

/** Request headers, with `Authorization: Bearer` when `getToken` returns a token. */
export async function requestHeaders(
  http: GatewayHttp,
  extra: Record<string, string>,
): Promise<Record<string, string>> {
  const token = http.getToken === undefined ? undefined : await http.getToken()
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra
}

/**
 * GET `/v1/tenants/:tenant/records/:schema/:id`. A 404 `not_found` is a record that does not
 * exist (or was deleted): `{ value: null, version: ZERO_VERSION }`, since a 404 carries no
 * version. ZERO orders before everything, so it can never replace a cached value, and the
 * stream's events (a deletion has a real version) always replace it.
 */
export async function fetchRecord<T>(
  http: GatewayHttp,
  schema: string,
  id: string,
  signal?: AbortSignal,
): Promise<SyncEntry<T>> {
  const init: RequestInit = {
    headers: await requestHeaders(http, { accept: 'application/json' }),
    cache: 'no-store',
  }
  if (signal !== undefined) init.signal = signal
  const response = await http.fetch(tenantUrl(http, 'records', schema, id), init)
  if (response.status === 404) {
    const error = await errorFromResponse(response)
    if (error.code === 'not_found') return syncEntry<T>(null, ZERO_VERSION, headerEpoch(response))
    throw error
  }
  if (!response.ok) throw await errorFromResponse(response)
  const body = (await response.json()) as { version?: unknown; value?: T; epoch?: unknown }
  if (!isVersion(body.version) || body.value === undefined) {
    throw new SyncError('internal', `The gateway sent a malformed record for ${schema}/${id}.`)
  }
  const epoch = isEpoch(body.epoch) ? body.epoch : headerEpoch(response)
  return syncEntry(body.value, body.version, epoch)
}

/** A store epoch: 32 lowercase hex characters (docs/protocol.md). */
export function isEpoch(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{32}$/.test(value)
}

function headerEpoch(response: Response): string | undefined {
  const epoch = response.headers.get('fdb-live-epoch')
  return isEpoch(epoch) ? epoch : undefined
}

/** Converts a gateway error response (`{ error: { code, message } }`) into a SyncError. */
export async function errorFromResponse(response: Response): Promise<SyncError> {
  let body: unknown
  try {
    body = await response.json()
  } catch {
    body = undefined
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error
  const message = typeof error?.message === 'string' ? error.message : response.statusText
  return isSyncErrorCode(error?.code)
    ? new SyncError(error.code, message)
    : new SyncError('internal', `The gateway answered HTTP ${response.status}: ${message}`)
}
