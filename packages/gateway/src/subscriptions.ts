import {
  SyncError,
  assertEpoch,
  assertId,
  assertSchemaName,
  assertVersion,
  quoteInput,
  type Epoch,
  type Version,
} from '@fdb-live/core'

/** One record a stream follows, as the client asked for it (docs/protocol.md, Streams). */
export interface StreamSubscription {
  schema: string
  id: string
  /** The version the client already has; its initial event is skipped when unchanged. */
  since?: Version
}

/**
 * The client's known store epoch: the `epoch` field of a POST body. `undefined` when
 * absent; `invalid_request` when it is not an epoch.
 */
export function epochOfBody(body: unknown): Epoch | undefined {
  const epoch = (body as { epoch?: unknown }).epoch
  if (epoch === undefined) return undefined
  assertEpoch(epoch)
  return epoch
}

/** The client's known store epoch: the `epoch=` parameter of a GET stream's raw query. */
export function epochOfQuery(rawQuery: string): Epoch | undefined {
  const pairs = rawQuery.split('&').filter((pair) => pair.startsWith('epoch='))
  if (pairs.length === 0) return undefined
  if (pairs.length > 1) throw invalid('Send at most one epoch parameter.')
  const epoch = decode(pairs[0]!.slice('epoch='.length))
  assertEpoch(epoch)
  return epoch
}

/**
 * Validates `{"subscriptions":[{schema,id,since?}]}` from a POST body. Duplicate
 * `(schema, id)` pairs are merged, the last `since` winning.
 */
export function parseSubscriptionBody(body: unknown, limit: number): StreamSubscription[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('The body must be a JSON object: {"subscriptions":[{"schema","id","since"?}]}.')
  }
  const list = (body as { subscriptions?: unknown }).subscriptions
  if (!Array.isArray(list)) throw invalid('"subscriptions" must be an array.')
  return mergeWithin(
    limit,
    list.map((item: unknown, index) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw invalid(`subscriptions[${index}] must be an object {"schema","id","since"?}.`)
      }
      const { schema, id, since } = item as Record<string, unknown>
      return validate(schema, id, since)
    }),
  )
}

/**
 * Validates the `sub=<schema>/<id>[@<version>]` parameters of a GET stream, read from the
 * raw query string: each part is percent-decoded on its own, so an id may hold `/` or `@`
 * as `%2F` / `%40`.
 */
export function parseSubscriptionQuery(rawQuery: string, limit: number): StreamSubscription[] {
  const values: string[] = []
  for (const pair of rawQuery.split('&')) {
    if (pair.startsWith('sub=')) values.push(pair.slice(4))
    else if (pair === 'sub') throw invalid('Each "sub" parameter needs a value: sub=<schema>/<id>.')
  }
  return mergeWithin(
    limit,
    values.map((raw) => {
      const slash = raw.indexOf('/')
      if (slash < 0)
        throw invalid(`Invalid sub=${quoteInput(raw)}: expected <schema>/<id>[@<version>].`)
      const at = raw.lastIndexOf('@')
      const hasSince = at > slash
      const schema = decode(raw.slice(0, slash))
      const id = decode(raw.slice(slash + 1, hasSince ? at : undefined))
      return validate(schema, id, hasSince ? decode(raw.slice(at + 1)) : undefined)
    }),
  )
}

function validate(schema: unknown, id: unknown, since: unknown): StreamSubscription {
  assertSchemaName(schema)
  assertId(id)
  if (since === undefined) return { schema, id }
  assertVersion(since)
  return { schema, id, since }
}

/** Merges duplicates, then checks the limit: it counts records, not how often they are named. */
function mergeWithin(limit: number, list: StreamSubscription[]): StreamSubscription[] {
  const byKey = new Map<string, StreamSubscription>()
  for (const sub of list) {
    const key = `${sub.schema}\u0000${sub.id}`
    byKey.delete(key)
    byKey.set(key, sub)
  }
  if (byKey.size > limit) {
    throw new SyncError(
      'too_many_subscriptions',
      `${byKey.size} records in one stream; the limit is ${limit}. Split them over several streams.`,
    )
  }
  return [...byKey.values()]
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw invalid(`Invalid percent-encoding in ${quoteInput(part)}.`)
  }
}

function invalid(message: string): SyncError {
  return new SyncError('invalid_request', message)
}
