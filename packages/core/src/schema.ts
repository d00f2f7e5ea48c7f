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
}

/**
 * A typed handle for one kind of record, shared by server and browser code. It is only a
 * name and a type (plus an optional validator): no I/O.
 */
export interface Schema<T> {
  readonly name: string
  readonly validator: StandardSchemaV1<unknown, T> | undefined
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
  return Object.freeze({ name, validator: options?.validator })
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
