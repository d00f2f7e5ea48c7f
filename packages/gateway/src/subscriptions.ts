import { SyncError, assertId, assertSchemaName, assertVersion, type Version } from '@fdb-live/core'

/** One record a stream follows, as the client asked for it (docs/protocol.md, Streams). */
export interface StreamSubscription {
  schema: string
  id: string
  /** The version the client already has; its initial event is skipped when unchanged. */
  since?: Version
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
  checkLimit(list.length, limit)
  return merge(
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
  checkLimit(values.length, limit)
  return merge(
    values.map((raw) => {
      const slash = raw.indexOf('/')
      if (slash < 0) throw invalid(`Invalid sub=${raw}: expected <schema>/<id>[@<version>].`)
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

function merge(list: StreamSubscription[]): StreamSubscription[] {
  const byKey = new Map<string, StreamSubscription>()
  for (const sub of list) {
    const key = `${sub.schema}\u0000${sub.id}`
    byKey.delete(key)
    byKey.set(key, sub)
  }
  return [...byKey.values()]
}

function checkLimit(count: number, limit: number): void {
  if (count > limit) {
    throw new SyncError(
      'too_many_subscriptions',
      `${count} subscriptions in one stream; the limit is ${limit}. Split them over several streams.`,
    )
  }
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw invalid(`Invalid percent-encoding in ${JSON.stringify(part)}.`)
  }
}

function invalid(message: string): SyncError {
  return new SyncError('invalid_request', message)
}
