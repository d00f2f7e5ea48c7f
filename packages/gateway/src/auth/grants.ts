import { assertId, assertSchemaName, assertTenant, isSyncError } from '@fdb-live/core'
import type { AuthorizeKey } from '../record-key.js'

/** The claim that carries a token's grants: `{"fdb-live": {"subscribe": [pattern, …]}}`. */
export const GRANTS_CLAIM = 'fdb-live'

/** A segment of a grant: one exact, validated name, or any name (`*`). */
type Segment = { any: true } | { any: false; name: string }

/** One parsed grant pattern `<tenant>/<schema>/<id>`. */
export interface Grant {
  readonly tenant: Segment
  readonly schema: Segment
  readonly id: Segment
}

/**
 * Parses one pattern `<tenant>/<schema>/<id>`. Each segment is `*` (any name) or a name,
 * percent-encoded like a GET stream's `sub=` parts, so a tenant or id that holds `/` or `*`
 * is written `%2F` / `%2A`. There is no partial glob: `acme*` is the literal name `acme*`.
 * A segment is decoded and checked with the protocol's name rules; a pattern that is not
 * exactly three valid segments grants nothing (`undefined`), so no name can widen a grant.
 */
export function parseGrant(pattern: unknown): Grant | undefined {
  if (typeof pattern !== 'string') return undefined
  const parts = pattern.split('/')
  if (parts.length !== 3) return undefined
  try {
    const [tenant, schema, id] = parts.map(decodeSegment) as [Segment, Segment, Segment]
    if (!tenant.any) assertTenant(tenant.name)
    if (!schema.any) assertSchemaName(schema.name)
    if (!id.any) assertId(id.name)
    return { tenant, schema, id }
  } catch (error) {
    if (error instanceof URIError || isSyncError(error)) return undefined
    throw error
  }
}

/** The grants of a token's claims; an absent or malformed claim grants nothing. */
export function grantsOfClaims(claims: Readonly<Record<string, unknown>>): Grant[] {
  const claim = claims[GRANTS_CLAIM]
  if (typeof claim !== 'object' || claim === null) return []
  const list = (claim as { subscribe?: unknown }).subscribe
  if (!Array.isArray(list)) return []
  return list.map(parseGrant).filter((grant) => grant !== undefined)
}

/**
 * True when one of `grants` covers the record: every segment `*` or exactly equal. A
 * collection (`id` undefined) is covered only by a grant whose id segment is `*`: the
 * grant must cover every record the collection can hold.
 */
export function grantsAllow(grants: readonly Grant[], key: AuthorizeKey): boolean {
  return grants.some(
    (grant) =>
      matches(grant.tenant, key.tenant) &&
      matches(grant.schema, key.schema) &&
      (key.id === undefined ? grant.id.any : matches(grant.id, key.id)),
  )
}

/**
 * The default authorization: the token's `fdb-live.subscribe` grants cover the record.
 * An app's own `authorize` can call it to add its checks to the token's.
 */
export function tokenGrantsAllow(
  claims: Readonly<Record<string, unknown>>,
  key: AuthorizeKey,
): boolean {
  return grantsAllow(grantsOfClaims(claims), key)
}

function decodeSegment(part: string): Segment {
  return part === '*' ? { any: true } : { any: false, name: decodeURIComponent(part) }
}

function matches(segment: Segment, name: string): boolean {
  return segment.any || segment.name === name
}
