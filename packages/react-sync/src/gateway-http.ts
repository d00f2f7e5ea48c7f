import { SyncError, ZERO_VERSION, isSyncErrorCode, isVersion } from '@fdb-live/core'
import { syncEntry, type SyncEntry } from './cache-writer.js'
import type { TokenSource } from './token-source.js'

/** What {@link GetToken} is asked for. */
export interface GetTokenOptions {
  /**
   * The gateway refused the last token (401 `unauthorized`) or it expired during a stream
   * (`token_expired`): return a new one, not a cached copy.
   */
  refresh: boolean
}

/**
 * Returns the bearer token to send, if any; called before every request, and with
 * `{ refresh: true }` when the gateway refused or expired the last one. A function that
 * takes no argument is fine: it is then simply called again.
 */
export type GetToken = (
  options?: GetTokenOptions,
) => string | null | undefined | Promise<string | null | undefined>

/** What requests to the gateway need. */
export interface GatewayHttp {
  readonly gatewayUrl: string
  readonly tenant: string
  readonly fetch: typeof fetch
  /** The app's `getToken`, with shared refreshes; absent: requests carry no token. */
  readonly tokens: TokenSource | undefined
}

/** `<gatewayUrl>/v1/tenants/:tenant/<path>`, each segment percent-encoded. */
export function tenantUrl(http: GatewayHttp, ...segments: string[]): string {
  const base = http.gatewayUrl.replace(/\/+$/, '')
  const path = ['v1', 'tenants', http.tenant, ...segments].map(encodeURIComponent).join('/')
  return `${base}/${path}`
}

/**
 * Sends a request with the current token; on a 401 (the token expired or was revoked) asks
 * `getToken` for a new one and sends it once more. A second 401 is returned as it is: the
 * caller shows the error, it does not loop. `refresh` asks for a new token from the start
 * (after a stream's `token_expired`).
 */
export async function fetchWithToken(
  http: GatewayHttp,
  url: string,
  init: RequestInit & { headers: Record<string, string> },
  refresh = false,
): Promise<Response> {
  const { tokens } = http
  if (tokens === undefined) return http.fetch(url, init)
  const send = (token: string | null | undefined) =>
    http.fetch(url, {
      ...init,
      headers: token ? { ...init.headers, authorization: `Bearer ${token}` } : init.headers,
    })
  let token = await tokens.current()
  if (refresh) token = await tokens.refresh(token)
  const response = await send(token)
  if (response.status !== 401) return response
  await response.body?.cancel().catch(() => {})
  return send(await tokens.refresh(token))
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
  const init: RequestInit & { headers: Record<string, string> } = {
    headers: { accept: 'application/json' },
    cache: 'no-store',
  }
  if (signal !== undefined) init.signal = signal
  const response = await fetchWithToken(http, tenantUrl(http, 'records', schema, id), init)
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
