import type { StandardSchemaV1 } from '@standard-schema/spec'
import { SyncError, quoteInput } from './errors.js'

/** Options for {@link defineSchema}. */
export interface SchemaOptions<T> {
  /**
   * A Standard Schema validator (zod, valibot, arktype…) run on every write. Its output
   * is what gets stored.
   * @default no validation
   */
  validator?: StandardSchemaV1<unknown, T>
  /**
   * Declared indexes: index name → a top-level field of the document. Each value of the
   * field is a live collection (`tenant.list(schema, { where: { byList: 'inbox' } })`),
   * kept by every write in the same transaction. Only string, safe-integer and boolean
   * values are indexed; a record whose field is missing, null or of another type is only
   * in the whole-schema collection. Reading a collection needs no declaration (the gateway
   * reads by name); writing does, so every writer of the schema must declare the same.
   * @default no indexes
   */
  indexes?: Readonly<Record<string, Extract<keyof T, string>>>
}

/**
 * A typed handle for one kind of record, shared by server and browser code. It is only a
 * name and a type (plus an optional validator): no I/O.
 */
export interface Schema<T> {
  readonly name: string
  readonly validator: StandardSchemaV1<unknown, T> | undefined
  /** Declared indexes, index name → field (see {@link SchemaOptions.indexes}). */
  readonly indexes: Readonly<Record<string, string>>
  /** Phantom field that carries `T` for type inference; always `undefined` at runtime. */
  readonly '~type'?: T
}

/** The document type of a schema: `SchemaType<typeof Quote>`. */
export type SchemaType<S> = S extends Schema<infer T> ? T : never

const SCHEMA_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/

/**
 * Defines a schema.
 *
 * @example
 * const Quote = defineSchema<QuoteDoc>('quotes')
 * const Strict = defineSchema('quotes', { validator: z.object({ … }) })
 */
export function defineSchema<T>(name: string, options?: SchemaOptions<T>): Schema<T> {
  assertSchemaName(name)
  const indexes: Record<string, string> = {}
  for (const [index, field] of Object.entries(options?.indexes ?? {})) {
    assertIndexName(index)
    if (typeof field !== 'string' || field.length === 0) {
      throw new SyncError(
        'invalid_schema',
        `Index ${JSON.stringify(index)} of schema ${name} names field ${quoteInput(field)}: name a top-level field of the document.`,
      )
    }
    indexes[index] = field
  }
  return Object.freeze({ name, validator: options?.validator, indexes: Object.freeze(indexes) })
}

/** Throws `invalid_request` unless `name` is a valid index name (the rule of schema names). */
export function assertIndexName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !SCHEMA_NAME.test(name)) {
    throw new SyncError(
      'invalid_request',
      `Invalid index name ${quoteInput(name)}: use 1-64 characters, starting with a letter, ` +
        'then letters, digits, "_", "-" or ".".',
    )
  }
}

/** Throws `invalid_schema` unless `name` is a valid schema name. */
export function assertSchemaName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !SCHEMA_NAME.test(name)) {
    throw new SyncError(
      'invalid_schema',
      `Invalid schema name ${quoteInput(name)}: use 1-64 characters, starting with a letter, ` +
        'then letters, digits, "_", "-" or ".".',
    )
  }
}
