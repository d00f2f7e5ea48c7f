import { pack, unpack } from 'fdb-tuple'
import { SyncError, quoteInput } from '../errors.js'
import { assertIndexName } from '../schema.js'
import { VERSIONSTAMP_BYTES } from '../version.js'

/** A value of a declared index: what `where` compares a field with. */
export type IndexValue = string | number | boolean

/** Which collection: the whole schema (no `where`) or one value of one declared index. */
export interface CollectionQuery {
  /** At most one entry: index name → value. @default the whole schema */
  where?: Readonly<Record<string, IndexValue>>
}

/** A validated `where`: `undefined` for the whole schema. */
export type IndexMatch = readonly [index: string, value: IndexValue] | undefined

/**
 * The keys of one collection (docs/data-layout.md). With P the collection's prefix,
 *
 *   P = pack((root, null, "coll", tenant, schema, null))          the whole schema
 *   P = pack((root, null, "coll", tenant, schema, index, value))  one value of one index
 *
 *   P + pack(("h",))                    → 10-byte versionstamp of the last change (watched)
 *   P + pack(("z",))                    → 10-byte versionstamp: removals up to it were compacted
 *   P + pack(("m", id))                 → 10-byte versionstamp of the member's "v" entry
 *   P + pack(("r", id))                 → 10-byte versionstamp of the id's "d" entry
 *   P + pack(("v", Versionstamp, id))   → empty: a member, at its latest change
 *   P + pack(("d", Versionstamp, id))   → 8-byte BE wall-clock ms: the id left at that version
 *
 * The `null` after the root sorts before every tenant (a string), so no collection key
 * can equal or fall inside a record key `(root, tenant, schema, id)`; "coll" keeps them
 * apart from the epoch `(root, null, "epoch")`.
 */
export interface CollectionKeys {
  readonly prefix: Buffer
  readonly head: Buffer
  readonly horizon: Buffer
  member(id: string): Buffer
  removal(id: string): Buffer
  /** [start, end) of the "m" entries, in id order. */
  readonly members: readonly [Buffer, Buffer]
  readonly changes: StampedRange
  readonly removals: StampedRange
}

/** The "v" or "d" entries: keys `prefix + 0x33 + stamp(10) + 0x0000 + pack((id,))`. */
export interface StampedRange {
  readonly prefix: Buffer
  readonly end: Buffer
  /** The key before the stamp is known (zeros) and the offset of the stamp in it. */
  pending(id: string): { key: Buffer; offset: number }
  /** The first key after every entry at `stamp` or before it. */
  after(stamp: Uint8Array): Buffer
  at(stamp: Uint8Array, id: string): Buffer
  decode(key: Uint8Array): { stamp: Buffer; id: string }
}

const VERSIONSTAMP_CODE = 0x33
const USER_VERSION = Buffer.of(0x00, 0x00)

function stampedRange(prefix: Buffer): StampedRange {
  const at = (stamp: Uint8Array, id: string): Buffer =>
    Buffer.concat([prefix, Buffer.of(VERSIONSTAMP_CODE), stamp, USER_VERSION, pack([id])])
  return {
    prefix,
    end: Buffer.concat([prefix, Buffer.of(0xff)]),
    pending: (id) => ({ key: at(Buffer.alloc(VERSIONSTAMP_BYTES), id), offset: prefix.length + 1 }),
    after: (stamp) =>
      Buffer.concat([prefix, Buffer.of(VERSIONSTAMP_CODE), stamp, USER_VERSION, Buffer.of(0xff)]),
    at,
    decode(key) {
      const bytes = Buffer.from(key.buffer, key.byteOffset, key.byteLength)
      const from = prefix.length + 1
      const stamp = bytes.subarray(from, from + VERSIONSTAMP_BYTES)
      const [id] = unpack(bytes.subarray(from + VERSIONSTAMP_BYTES + USER_VERSION.length))
      if (typeof id !== 'string' || bytes[prefix.length] !== VERSIONSTAMP_CODE) {
        throw new SyncError(
          'internal',
          'A collection entry is not in the data layout; see docs/data-layout.md.',
        )
      }
      return { stamp, id }
    },
  }
}

/** The keys of collection `match` of `schema` in `tenant` under `root`. */
export function collectionKeys(
  root: string,
  tenant: string,
  schema: string,
  match: IndexMatch,
): CollectionKeys {
  const prefix = pack(
    match === undefined
      ? [root, null, 'coll', tenant, schema, null]
      : [root, null, 'coll', tenant, schema, match[0], match[1]],
  )
  const sub = (...parts: Array<string>): Buffer => Buffer.concat([prefix, pack(parts)])
  const membersStart = sub('m')
  return {
    prefix,
    head: sub('h'),
    horizon: sub('z'),
    member: (id) => sub('m', id),
    removal: (id) => sub('r', id),
    members: [membersStart, Buffer.concat([membersStart, Buffer.of(0xff)])],
    changes: stampedRange(sub('v')),
    removals: stampedRange(sub('d')),
  }
}

/** Longest indexed string value, in UTF-8 bytes: collection keys stay well under key limits. */
export const MAX_INDEX_VALUE_BYTES = 256

/** The index value of `doc[field]`, or `undefined` when the record is in no value of it. */
export function indexValueOf(doc: unknown, field: string): IndexValue | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined
  const value: unknown = (doc as Record<string, unknown>)[field]
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value
  return undefined
}

/** Throws `invalid_value` for an indexed string over {@link MAX_INDEX_VALUE_BYTES}. */
export function assertIndexValueSize(value: IndexValue, what: string): void {
  if (typeof value === 'string' && Buffer.byteLength(value) > MAX_INDEX_VALUE_BYTES) {
    throw new SyncError(
      'invalid_value',
      `${what} is ${Buffer.byteLength(value)} bytes; an indexed value is at most ${MAX_INDEX_VALUE_BYTES} bytes of UTF-8: shorten it or do not index that field.`,
    )
  }
}

/** Validates a caller's `where` (0 or 1 entry) with a clear error. */
export function parseWhere(where: unknown): IndexMatch {
  if (where === undefined || where === null) return undefined
  if (typeof where !== 'object' || Array.isArray(where)) {
    throw new SyncError(
      'invalid_request',
      `Invalid where ${quoteInput(where)}: use an object { index: value }, or leave it out for the whole schema.`,
    )
  }
  const entries: Array<[string, unknown]> = Object.entries(where)
  if (entries.length === 0) return undefined
  if (entries.length > 1) {
    throw new SyncError(
      'invalid_request',
      `where has ${entries.length} entries (${entries.map(([k]) => JSON.stringify(k)).join(', ')}); a collection is one value of one declared index: use one entry.`,
    )
  }
  const [index, value] = entries[0] as [string, unknown]
  assertIndexName(index)
  if (
    typeof value !== 'string' &&
    typeof value !== 'boolean' &&
    !(typeof value === 'number' && Number.isSafeInteger(value))
  ) {
    throw new SyncError(
      'invalid_request',
      `where.${index} is ${quoteInput(value)}: an index value is a string, a safe integer or a boolean.`,
    )
  }
  if (typeof value === 'string' && Buffer.byteLength(value) > MAX_INDEX_VALUE_BYTES) {
    throw new SyncError(
      'invalid_request',
      `where.${index} is ${Buffer.byteLength(value)} bytes; an indexed value is at most ${MAX_INDEX_VALUE_BYTES} bytes of UTF-8.`,
    )
  }
  return [index, value]
}

/** How a collection is named in messages: `todos` or `todos where byList="inbox"`. */
export function describeCollection(schema: string, match: IndexMatch): string {
  return match === undefined ? schema : `${schema} where ${match[0]}=${JSON.stringify(match[1])}`
}
