import { SyncError } from '../errors.js'
import { VERSIONSTAMP_BYTES } from '../version.js'

/**
 * The head value of a record (docs/data-layout.md):
 *
 *   [0]       format, 0x01
 *   [1..11)   versionstamp of the commit that wrote it (SetVersionstampedValue, offset 1)
 *   [11]      kind: 0x00 inline JSON, 0x01 chunked JSON, 0x02 tombstone
 *   [12..)    inline: the UTF-8 JSON document (at most INLINE_MAX_BYTES)
 *             chunked: uint32 BE chunk count, uint32 BE total byte length
 *             tombstone: nothing
 *
 * Because the versionstamp is part of the head, every write changes the head's bytes, so a
 * watch on the head always fires, whatever else changed.
 */
export const HEAD_FORMAT = 0x01
export const STAMP_OFFSET = 1
const KIND_OFFSET = STAMP_OFFSET + VERSIONSTAMP_BYTES
const BODY_OFFSET = KIND_OFFSET + 1

export const HeadKind = { Inline: 0x00, Chunked: 0x01, Tombstone: 0x02 } as const
export type HeadKind = (typeof HeadKind)[keyof typeof HeadKind]

/**
 * Largest document stored inline in the head. The head is the key every subscription
 * watches, and FoundationDB's storage servers keep watched values in memory (past a limit
 * they fall back to polling), so it stays small: larger documents go to chunks.
 */
export const INLINE_MAX_BYTES = 2048
/** The size of each chunk of a larger document (values are limited to 100,000 bytes). */
export const CHUNK_BYTES = 90_000
/** Largest document accepted: FoundationDB transactions stay well under their 10 MB limit. */
export const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024

/** A decoded head value. */
export type DecodedHead =
  | { kind: typeof HeadKind.Inline; stamp: Uint8Array; json: Uint8Array }
  | { kind: typeof HeadKind.Chunked; stamp: Uint8Array; chunkCount: number; byteLength: number }
  | { kind: typeof HeadKind.Tombstone; stamp: Uint8Array }

function head(kind: HeadKind, bodyBytes: number): Buffer {
  const value = Buffer.alloc(BODY_OFFSET + bodyBytes)
  value[0] = HEAD_FORMAT
  value[KIND_OFFSET] = kind
  return value
}

/** A head holding `json` inline; the stamp bytes are filled in at commit. */
export function encodeInlineHead(json: Uint8Array): Buffer {
  const value = head(HeadKind.Inline, json.length)
  value.set(json, BODY_OFFSET)
  return value
}

/** A head pointing at `chunkCount` chunks holding `byteLength` bytes of JSON. */
export function encodeChunkedHead(chunkCount: number, byteLength: number): Buffer {
  const value = head(HeadKind.Chunked, 8)
  value.writeUInt32BE(chunkCount, BODY_OFFSET)
  value.writeUInt32BE(byteLength, BODY_OFFSET + 4)
  return value
}

/** The head of a deleted record. */
export function encodeTombstoneHead(): Buffer {
  return head(HeadKind.Tombstone, 0)
}

/** Decodes a head value; `where` names the key in the error for a corrupt value. */
export function decodeHead(value: Uint8Array, where: string): DecodedHead {
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (buf.length < BODY_OFFSET || buf[0] !== HEAD_FORMAT) {
    throw corrupt(where, `unknown head format ${buf[0]} or length ${buf.length}`)
  }
  const stamp = buf.subarray(STAMP_OFFSET, KIND_OFFSET)
  const kind = buf[KIND_OFFSET]
  switch (kind) {
    case HeadKind.Inline:
      return { kind, stamp, json: buf.subarray(BODY_OFFSET) }
    case HeadKind.Chunked:
      if (buf.length !== BODY_OFFSET + 8) throw corrupt(where, 'bad chunked head length')
      return {
        kind,
        stamp,
        chunkCount: buf.readUInt32BE(BODY_OFFSET),
        byteLength: buf.readUInt32BE(BODY_OFFSET + 4),
      }
    case HeadKind.Tombstone:
      return { kind, stamp }
    default:
      throw corrupt(where, `unknown head kind ${kind}`)
  }
}

/** The error for a record whose stored bytes do not follow the layout. */
export function corrupt(where: string, detail: string): SyncError {
  return new SyncError(
    'internal',
    `Record ${where} is not in fdb-live's data layout (${detail}); see docs/data-layout.md.`,
  )
}
