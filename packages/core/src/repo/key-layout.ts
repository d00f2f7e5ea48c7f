import { pack } from 'fdb-tuple'

/**
 * Where one record lives (docs/data-layout.md):
 *
 *   head   = pack((root, tenant, schema, id))        → the head value (record-codec.ts)
 *   chunk  = pack((root, tenant, schema, id, i))     → bytes of a large document, i = 0…n-1
 *
 * The chunks are tuple children of the head key, so they sort right after it and one
 * range `[head + 0x00, head + 0xff)` covers exactly them.
 */
export interface RecordKeys {
  head: Buffer
  chunksStart: Buffer
  chunksEnd: Buffer
  chunk(index: number): Buffer
}

/** The keys of record `(tenant, schema, id)` under `root`. Names must already be valid. */
export function recordKeys(root: string, tenant: string, schema: string, id: string): RecordKeys {
  const head = pack([root, tenant, schema, id])
  return {
    head,
    chunksStart: Buffer.concat([head, Buffer.from([0x00])]),
    chunksEnd: Buffer.concat([head, Buffer.from([0xff])]),
    chunk: (index) => Buffer.concat([head, pack(index)]),
  }
}
