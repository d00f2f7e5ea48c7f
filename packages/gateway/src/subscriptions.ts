import {
  SyncError,
  assertIndexName,
  assertEpoch,
  assertId,
  assertSchemaName,
  assertVersion,
  isSyncError,
  parseWhere,
  quoteInput,
  type Epoch,
  type IndexMatch,
  type IndexValue,
  type Version,
} from '@fdb-live/core'
import { collectionKeyString } from './collection-key.js'

/** One record a stream follows, as the client asked for it (docs/protocol.md, Streams). */
export interface StreamSubscription {
  schema: string
  id: string
  /** The version the client already has; its initial event is skipped when unchanged. */
  since?: Version
}

/**
 * One collection a stream follows (docs/protocol.md, Collections): the whole schema
 * (`where` undefined) or one value of one declared index.
 */
export interface CollectionSubscription {
  schema: string
  where: readonly [index: string, value: IndexValue] | undefined
  /** The `version` of the client's last `collection-synced`: only what changed after it is sent. */
  since?: Version
}

/** A stream request's subscriptions: records and collections (each collection counts as one). */
export interface ParsedSubscriptions {
  records: StreamSubscription[]
  collections: CollectionSubscription[]
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
  return parseStreamBody(body, limit).records
}

/**
 * Validates `{"subscriptions":[…]}` from a POST body: an item with an `id` is a record,
 * one without is a collection `{schema, where?, since?}`. Duplicates are merged, the last
 * `since` winning; the limit counts records plus collections.
 */
export function parseStreamBody(body: unknown, limit: number): ParsedSubscriptions {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('The body must be a JSON object: {"subscriptions":[{"schema","id","since"?}]}.')
  }
  const list = (body as { subscriptions?: unknown }).subscriptions
  if (!Array.isArray(list)) throw invalid('"subscriptions" must be an array.')
  const records: StreamSubscription[] = []
  const collections: CollectionSubscription[] = []
  list.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw invalid(
        `subscriptions[${index}] must be an object: {"schema","id","since"?} for a record, {"schema","where"?,"since"?} for a collection.`,
      )
    }
    const { schema, id, since, where } = item as Record<string, unknown>
    if (id === undefined) collections.push(validateCollection(schema, where, since, index))
    else records.push(validate(schema, id, since))
  })
  return mergeAllWithin(limit, records, collections)
}

/**
 * Validates the `sub=<schema>/<id>[@<version>]` parameters of a GET stream, read from the
 * raw query string: each part is percent-decoded on its own, so an id may hold `/` or `@`
 * as `%2F` / `%40`.
 */
export function parseSubscriptionQuery(rawQuery: string, limit: number): StreamSubscription[] {
  return parseStreamQuery(rawQuery, limit).records
}

/**
 * Validates the `sub=<schema>/<id>[@<version>]` and `list=<schema>[/<index>=<value>][@<version>]`
 * parameters of a GET stream (each part percent-decoded on its own; a `list` value is
 * always a string).
 */
export function parseStreamQuery(rawQuery: string, limit: number): ParsedSubscriptions {
  const values: string[] = []
  const lists: string[] = []
  for (const pair of rawQuery.split('&')) {
    if (pair.startsWith('sub=')) values.push(pair.slice(4))
    else if (pair.startsWith('list=')) lists.push(pair.slice(5))
    else if (pair === 'sub') throw invalid('Each "sub" parameter needs a value: sub=<schema>/<id>.')
    else if (pair === 'list')
      throw invalid('Each "list" parameter needs a value: list=<schema>[/<index>=<value>].')
  }
  return mergeAllWithin(
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
    lists.map(parseListParameter),
  )
}

function parseListParameter(raw: string): CollectionSubscription {
  const at = raw.lastIndexOf('@')
  const body = at >= 0 ? raw.slice(0, at) : raw
  const since = at >= 0 ? decode(raw.slice(at + 1)) : undefined
  const slash = body.indexOf('/')
  const schema = decode(slash < 0 ? body : body.slice(0, slash))
  if (slash < 0) return validateCollection(schema, undefined, since, undefined)
  const condition = body.slice(slash + 1)
  const equals = condition.indexOf('=')
  if (equals < 0) {
    throw invalid(
      `Invalid list=${quoteInput(raw)}: expected <schema>[/<index>=<value>][@<version>].`,
    )
  }
  const index = decode(condition.slice(0, equals))
  const value = decode(condition.slice(equals + 1))
  assertIndexName(index)
  return validateCollection(schema, { [index]: value }, since, undefined)
}

function validateCollection(
  schema: unknown,
  where: unknown,
  since: unknown,
  index: number | undefined,
): CollectionSubscription {
  assertSchemaName(schema)
  let match: IndexMatch
  try {
    match = parseWhere(where)
  } catch (error) {
    if (index === undefined || !isSyncError(error)) throw error
    throw new SyncError(error.code, `subscriptions[${index}]: ${error.message}`)
  }
  if (since === undefined) return { schema, where: match }
  assertVersion(since)
  return { schema, where: match, since }
}

function mergeAllWithin(
  limit: number,
  records: StreamSubscription[],
  collections: CollectionSubscription[],
): ParsedSubscriptions {
  const byKey = new Map<string, CollectionSubscription>()
  for (const sub of collections) {
    const key = collectionKeyString('', sub.schema, sub.where)
    byKey.delete(key)
    byKey.set(key, sub)
  }
  const merged = mergeWithin(limit - byKey.size, records, byKey.size)
  return { records: merged, collections: [...byKey.values()] }
}

function validate(schema: unknown, id: unknown, since: unknown): StreamSubscription {
  assertSchemaName(schema)
  assertId(id)
  if (since === undefined) return { schema, id }
  assertVersion(since)
  return { schema, id, since }
}

/** Merges duplicates, then checks the limit: it counts records, not how often they are named. */
function mergeWithin(
  limit: number,
  list: StreamSubscription[],
  collections = 0,
): StreamSubscription[] {
  const byKey = new Map<string, StreamSubscription>()
  for (const sub of list) {
    const key = `${sub.schema}\u0000${sub.id}`
    byKey.delete(key)
    byKey.set(key, sub)
  }
  if (byKey.size > limit) {
    throw new SyncError(
      'too_many_subscriptions',
      collections === 0
        ? `${byKey.size} records in one stream; the limit is ${limit}. Split them over several streams.`
        : `${byKey.size} records and ${collections} collections in one stream; the limit is ${limit + collections} subscriptions (a collection counts as one). Split them over several streams.`,
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
