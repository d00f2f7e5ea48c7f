import type { IndexMatch, IndexValue } from '@fdb-live/core'

/** The identity of one collection across tenants: what the collection hub shares watches by. */
export interface CollectionKey {
  tenant: string
  schema: string
  /** `undefined`: the whole schema; otherwise one value of one declared index. */
  where: IndexMatch
}

/**
 * A string that identifies a collection. Tenants hold no control characters and schema
 * and index names are `[A-Za-z0-9_.-]`, so NUL separates; the value's type is part of it
 * (`1` and `"1"` are different collections, as in the store's tuple keys).
 */
export function collectionKeyString(tenant: string, schema: string, where: IndexMatch): string {
  const condition = where === undefined ? '' : `${where[0]}\u0000${typeof where[1]}:${where[1]}`
  return `${tenant}\u0000${schema}\u0000${condition}`
}

/** The wire form of a collection's `where`: `{ index: value }`, or `null` for the whole schema. */
export function whereOnWire(where: IndexMatch): Record<string, IndexValue> | null {
  return where === undefined ? null : { [where[0]]: where[1] }
}
