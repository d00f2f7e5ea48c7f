import { SyncError } from '../errors.js'
import type { Schema } from '../schema.js'
import { MAX_DOCUMENT_BYTES } from './record-codec.js'

/**
 * Turns a value into the JSON bytes that are stored, after running the schema's validator.
 * Rejects what JSON would silently change (NaN, functions, Maps…) instead of storing
 * something other than what the caller wrote.
 */
export async function encodeDocument<T>(schema: Schema<T>, id: string, value: T): Promise<Buffer> {
  const checked = await validate(schema, id, value)
  if (checked === null) {
    throw new SyncError(
      'invalid_value',
      `The value of ${schema.name}/${id} is null, which means "no record" on the wire: delete the record instead.`,
    )
  }
  let json: string | undefined
  try {
    json = JSON.stringify(checked, strictReplacer)
  } catch (error) {
    throw new SyncError(
      'invalid_value',
      `The value of ${schema.name}/${id} is not JSON-serialisable: ${(error as Error).message}.`,
      { cause: error },
    )
  }
  if (json === undefined) {
    throw new SyncError(
      'invalid_value',
      `The value of ${schema.name}/${id} is not JSON-serialisable: pass an object, array, string, number, boolean or null.`,
    )
  }
  const bytes = Buffer.from(json, 'utf8')
  if (bytes.length > MAX_DOCUMENT_BYTES) {
    throw new SyncError(
      'value_too_large',
      `The value of ${schema.name}/${id} is ${bytes.length} bytes of JSON; the limit is ${MAX_DOCUMENT_BYTES}. Split it into several records.`,
    )
  }
  return bytes
}

/** Parses stored JSON bytes. */
export function decodeDocument(json: Uint8Array): unknown {
  return JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'))
}

function strictReplacer(this: unknown, key: string, value: unknown): unknown {
  const where = key === '' ? 'the value' : `field ${JSON.stringify(key)}`
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`${where} is ${value}`)
      return value
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new Error(`${where} is a ${typeof value}`)
    case 'object': {
      if (value === null || Array.isArray(value)) return value
      const proto: unknown = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) {
        const name = value.constructor?.name ?? 'object'
        throw new Error(`${where} is a ${name}, not a plain object`)
      }
      return value
    }
    default:
      return value
  }
}

async function validate<T>(schema: Schema<T>, id: string, value: T): Promise<T> {
  if (!schema.validator) return value
  const result = await schema.validator['~standard'].validate(value)
  if (result.issues === undefined) return result.value
  const details = result.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path
        ?.map((part) => String(typeof part === 'object' ? part.key : part))
        .join('.')
      return path ? `${path}: ${issue.message}` : issue.message
    })
    .join('; ')
  throw new SyncError(
    'validation_failed',
    `The value of ${schema.name}/${id} failed validation: ${details}.`,
  )
}
