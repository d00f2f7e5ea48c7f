/** The identity of one record across tenants: what the watch hub shares watches by. */
export interface RecordKey {
  tenant: string
  schema: string
  id: string
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
