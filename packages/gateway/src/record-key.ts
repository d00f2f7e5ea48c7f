/** The identity of one record across tenants: what the watch hub shares watches by. */
export interface RecordKey {
  tenant: string
  schema: string
  id: string
}

/**
 * What an authorization check is asked about: one record, or one collection. A
 * collection has `id: undefined` (so a check that compares ids never matches it) and its
 * `where` (`null` for the whole schema). See docs/security.md.
 */
export type AuthorizeKey =
  | RecordKey
  | {
      tenant: string
      schema: string
      id: undefined
      where: Readonly<Record<string, string | number | boolean>> | null
    }

/**
 * A string that identifies a {@link RecordKey}. Tenants and ids cannot contain control
 * characters and schema names are `[A-Za-z0-9_.-]`, so NUL is a safe separator.
 */
export function recordKeyString(key: RecordKey): string {
  return `${key.tenant}\u0000${key.schema}\u0000${key.id}`
}

/** The SSE `id:` of a value event: `<schema>/<id>@<version>` (docs/protocol.md). */
export function eventId(schema: string, id: string, version: string): string {
  return `${schema}/${id}@${version}`
}
