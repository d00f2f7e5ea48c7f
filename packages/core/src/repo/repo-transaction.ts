import type { Epoch } from '../epoch.js'
import { SyncError } from '../errors.js'
import type { KvTransaction, KvWatch } from '../kv/store.js'
import { assertId } from '../names.js'
import { assertSchemaName, type Schema } from '../schema.js'
import { ZERO_VERSION, assertVersion, versionFromBytes, type Version } from '../version.js'
import { decodeDocument, encodeDocument } from './document.js'
import { recordKeys, type RecordKeys } from './key-layout.js'
import {
  CHUNK_BYTES,
  HeadKind,
  INLINE_MAX_BYTES,
  STAMP_OFFSET,
  corrupt,
  decodeHead,
  encodeChunkedHead,
  encodeInlineHead,
  encodeTombstoneHead,
} from './record-codec.js'
import {
  assertIndexValueSize,
  collectionKeys,
  describeCollection,
  indexValueOf,
  parseWhere,
  type CollectionQuery,
} from './collection-keys.js'
import { listMembers, readChangesSince, type CollectionReadContext } from './collection-reader.js'
import {
  writeCollectionChanges,
  type CollectionSettings,
  type TouchedRecord,
} from './collection-writer.js'
import { readOrCreateEpoch } from './store-epoch.js'
import type {
  ChangesSinceOptions,
  CollectionChanges,
  ListOptions,
  RecordState,
  RecordWatch,
  RepoTransaction,
  SyncRecord,
} from './types.js'

/** {@link RepoTransaction} over one {@link KvTransaction}, for one tenant. */
export class TenantTransaction implements RepoTransaction {
  // Records this transaction wrote: their head holds a versionstamp that is only known
  // after commit (FoundationDB refuses to read it back, error 1036), so reading them again
  // in the same transaction is refused with a clear error instead.
  readonly #written = new Set<string>()
  // Records this transaction watches. Writing one of them after watching it would fire the
  // watch at once on FoundationDB (a watch reports its own transaction's writes) but only
  // after commit on the embedded store; watching after writing hits 1036 on FoundationDB.
  // Neither means anything useful, so both orders are refused, the same on every store.
  readonly #watched = new Set<string>()
  #version: Promise<Version> | undefined
  // Records written, by head key: their value before the first write and at the end. The
  // collections they are in are brought up to date once, by flush(), when the body returns.
  readonly #touched = new Map<string, TouchedRecord>()
  readonly #watchedHeads = new Set<string>()

  constructor(
    private readonly tx: KvTransaction,
    private readonly root: string,
    private readonly tenant: string,
    private readonly settings: CollectionSettings,
  ) {}

  async get<T>(schema: Schema<T>, id: string): Promise<SyncRecord<T> | null> {
    const state = await this.getState(schema, id)
    return state.value === null ? null : { id, version: state.version, value: state.value }
  }

  async getState<T>(schema: Schema<T>, id: string): Promise<RecordState<T>> {
    const keys = this.#keys(schema, id)
    if (this.#written.has(keys.head.toString('latin1'))) {
      throw new SyncError(
        'invalid_request',
        `${schema.name}/${id} was written earlier in this transaction; its version is only known after commit. Read it before writing, or after the transaction.`,
      )
    }
    const raw = await this.tx.get(keys.head)
    if (raw === undefined) return { id, version: ZERO_VERSION, value: null }
    const where = `${this.tenant}/${schema.name}/${id}`
    const head = decodeHead(raw, where)
    const version = versionFromBytes(head.stamp)
    switch (head.kind) {
      case HeadKind.Tombstone:
        return { id, version, value: null }
      case HeadKind.Inline:
        return { id, version, value: decodeDocument(head.json) as T }
      case HeadKind.Chunked: {
        const chunks = await this.tx.getRange(keys.chunksStart, keys.chunksEnd)
        const json = Buffer.concat(chunks.map((chunk) => chunk.value))
        if (chunks.length !== head.chunkCount || json.length !== head.byteLength) {
          throw corrupt(where, `expected ${head.chunkCount} chunks / ${head.byteLength} bytes`)
        }
        return { id, version, value: decodeDocument(json) as T }
      }
    }
  }

  async put<T>(schema: Schema<T>, id: string, value: T): Promise<void> {
    await this.#put(schema, id, value, undefined)
  }

  async #put<T>(
    schema: Schema<T>,
    id: string,
    value: T,
    known: T | null | undefined,
  ): Promise<void> {
    const keys = this.#keys(schema, id)
    const json = await encodeDocument(schema, id, value)
    const indexed = Object.keys(schema.indexes).length > 0
    const next: unknown = indexed ? decodeDocument(json) : true
    if (indexed) {
      for (const [index, field] of Object.entries(schema.indexes)) {
        const at = indexValueOf(next, field)
        if (at !== undefined)
          assertIndexValueSize(at, `${schema.name}/${id} field ${field} (index ${index})`)
      }
    }
    // Without indexes the record head is written blind (last commit wins); its collection
    // entries are read and written by flush(). With indexes, the old value says which
    // index collections the record leaves.
    await this.#touch(schema, id, keys, next, indexed, known)
    this.tx.clearRange(keys.chunksStart, keys.chunksEnd)
    if (json.length <= INLINE_MAX_BYTES) {
      this.#setHead(keys, encodeInlineHead(json), `${schema.name}/${id}`)
      return
    }
    const count = Math.ceil(json.length / CHUNK_BYTES)
    for (let i = 0; i < count; i++) {
      this.tx.set(keys.chunk(i), json.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES))
    }
    this.#setHead(keys, encodeChunkedHead(count, json.length), `${schema.name}/${id}`)
  }

  async insert<T>(schema: Schema<T>, id: string, value: T): Promise<void> {
    const old = (await this.getState(schema, id)).value
    if (old !== null) {
      throw new SyncError(
        'already_exists',
        `${schema.name}/${id} already exists in tenant ${this.tenant}: use update or put.`,
      )
    }
    await this.#put(schema, id, value, old)
  }

  async update<T>(schema: Schema<T>, id: string, value: T): Promise<void> {
    const old = (await this.getState(schema, id)).value
    if (old === null) {
      throw new SyncError(
        'not_found',
        `${schema.name}/${id} does not exist in tenant ${this.tenant}: use insert or put.`,
      )
    }
    await this.#put(schema, id, value, old)
  }

  async delete(schema: Schema<unknown>, id: string): Promise<boolean> {
    const keys = this.#keys(schema, id)
    const indexed = Object.keys(schema.indexes).length > 0
    let known: unknown
    if (!this.#written.has(keys.head.toString('latin1'))) {
      if (indexed) {
        known = (await this.getState(schema, id)).value
        if (known === null) return false
      } else {
        const raw = await this.tx.get(keys.head)
        if (raw === undefined || decodeHead(raw, id).kind === HeadKind.Tombstone) return false
      }
    }
    await this.#touch(schema, id, keys, null, indexed, known)
    // A tombstone rather than a clear: the deletion gets a version newer than the value it
    // removes, so clients that resume with `since` learn about it.
    this.tx.clearRange(keys.chunksStart, keys.chunksEnd)
    this.#setHead(keys, encodeTombstoneHead(), `${schema.name}/${id}`)
    return true
  }

  watch(schema: Schema<unknown>, id: string): RecordWatch {
    const keys = this.#keys(schema, id)
    const head = keys.head.toString('latin1')
    if (this.#written.has(head)) {
      throw new SyncError(
        'invalid_request',
        `${schema.name}/${id} was written earlier in this transaction, so it cannot be watched in it: watch it in a transaction of its own (read + watch), or after this one commits.`,
      )
    }
    this.#watched.add(head)
    return this.tx.watch(keys.head)
  }

  list<T>(schema: Schema<T>, options: ListOptions = {}): Promise<Array<SyncRecord<T>>> {
    const context = this.#collection(schema, options)
    return listMembers(context, options) as Promise<Array<SyncRecord<T>>>
  }

  changesSince<T>(
    schema: Schema<T>,
    options: ChangesSinceOptions = {},
  ): Promise<CollectionChanges<T>> {
    const context = this.#collection(schema, options)
    return readChangesSince(context, options.since) as Promise<CollectionChanges<T>>
  }

  watchCollection(schema: Schema<unknown>, query: CollectionQuery = {}): KvWatch {
    const { keys } = this.#collection(schema, query)
    this.#watchedHeads.add(keys.head.toString('latin1'))
    return this.tx.watch(keys.head)
  }

  /**
   * Brings the collections of every record this transaction wrote up to date. The Repo
   * calls it when the body returns, inside the same transaction.
   */
  async flush(): Promise<void> {
    if (this.#touched.size === 0) return
    await writeCollectionChanges(
      this.tx,
      this.root,
      this.tenant,
      this.#touched.values(),
      this.settings,
      this.#watchedHeads,
    )
  }

  committedVersion(): Promise<Version> {
    if (!this.#version) {
      this.#version = this.tx.getVersionstamp().then(versionFromBytes)
      // A retried attempt's promise rejects; that must not surface as an unhandled rejection.
      this.#version.catch(() => undefined)
    }
    return this.#version
  }

  epoch(): Promise<Epoch> {
    return readOrCreateEpoch(this.tx, this.root)
  }

  #keys(schema: Schema<unknown>, id: string): RecordKeys {
    assertId(id)
    return recordKeys(this.root, this.tenant, schema.name, id)
  }

  #collection(
    schema: Schema<unknown>,
    query: CollectionQuery & { since?: Version | undefined },
  ): CollectionReadContext {
    assertSchemaName(schema.name)
    if (query.since !== undefined) assertVersion(query.since)
    const match = parseWhere(query.where)
    return {
      tx: this.tx,
      keys: collectionKeys(this.root, this.tenant, schema.name, match),
      read: (id) => this.getState(schema, id),
      settings: this.settings,
      what: `${describeCollection(schema.name, match)} in tenant ${this.tenant}`,
    }
  }

  /** Remembers a write for flush(): the value before the first write, and the latest. */
  async #touch(
    schema: Schema<unknown>,
    id: string,
    keys: RecordKeys,
    next: unknown,
    indexed: boolean,
    known: unknown,
  ): Promise<void> {
    const head = keys.head.toString('latin1')
    const touched = this.#touched.get(head)
    if (touched !== undefined) {
      touched.next = next
      touched.schema = schema
      return
    }
    // `known` is the value a caller already read (insert/update/delete); undefined: not read.
    let old: unknown = null
    if (indexed) old = known !== undefined ? known : (await this.getState(schema, id)).value
    this.#touched.set(head, { schema, id, old, next })
  }

  #setHead(keys: RecordKeys, value: Buffer, what: string): void {
    const head = keys.head.toString('latin1')
    if (this.#watched.has(head)) {
      throw new SyncError(
        'invalid_request',
        `${what} is watched in this transaction, so it cannot be written in it: write it in another transaction (the watch then reports that write).`,
      )
    }
    this.#written.add(head)
    this.tx.setVersionstampedValue(keys.head, value, STAMP_OFFSET)
  }
}
