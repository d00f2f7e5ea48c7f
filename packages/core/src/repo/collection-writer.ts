import { SyncError } from '../errors.js'
import type { KvTransaction } from '../kv/store.js'
import type { Schema } from '../schema.js'
import { VERSIONSTAMP_BYTES } from '../version.js'
import {
  collectionKeys,
  describeCollection,
  indexValueOf,
  type CollectionKeys,
  type IndexMatch,
} from './collection-keys.js'

/** How collections are kept and read (from {@link RepoOptions}). */
export interface CollectionSettings {
  /** Reading a collection with more members fails with `collection_too_large`. */
  maxMembers: number
  /** Removal entries older than this are compacted by later removals. */
  removalRetentionMs: number
  /** The wall clock written into removal entries. */
  now: () => number
}

/** A record written in a transaction: its value before the transaction and after it. */
export interface TouchedRecord {
  schema: Schema<unknown>
  id: string
  /** The value before this transaction's first write (null: absent). */
  old: unknown
  /** The value at the end of the transaction (null: deleted). */
  next: unknown
}

/** Removal entries compacted per collection per transaction: keeps each write small. */
const COMPACT_BATCH = 16
const EMPTY = Buffer.alloc(0)
const stampSlot = (): Buffer => Buffer.alloc(VERSIONSTAMP_BYTES)

interface Plan {
  keys: CollectionKeys
  schema: string
  match: IndexMatch
  id: string
  isMember: boolean
  /** The stamp of the id's "v" entry, when it was a member. */
  member?: Uint8Array | undefined
  /** The stamp of the id's "d" entry, when it left earlier and joins now. */
  removal?: Uint8Array | undefined
}

/**
 * Brings every collection the touched records were or are in up to date, in the
 * transaction that wrote them (docs/data-layout.md, "Collections"). All reads come first:
 * after a versionstamped key is written, a range that may hold it cannot be read.
 */
export async function writeCollectionChanges(
  tx: KvTransaction,
  root: string,
  tenant: string,
  touched: Iterable<TouchedRecord>,
  settings: CollectionSettings,
  watchedHeads: ReadonlySet<string>,
): Promise<void> {
  const plans: Plan[] = []
  for (const record of touched) {
    for (const { match, isMember } of collectionsOf(record)) {
      const keys = collectionKeys(root, tenant, record.schema.name, match)
      plans.push({ keys, schema: record.schema.name, match, id: record.id, isMember })
    }
  }
  await Promise.all(
    plans.map(async (plan) => {
      plan.member = await tx.get(plan.keys.member(plan.id))
      if (plan.isMember && plan.member === undefined) {
        plan.removal = await tx.get(plan.keys.removal(plan.id))
      }
    }),
  )
  const changed = new Map<string, Plan>()
  const withRemovals = new Map<string, CollectionKeys>()
  for (const plan of plans) {
    const id = plan.keys.prefix.toString('latin1')
    if (plan.isMember || plan.member !== undefined) changed.set(id, plan)
    if (!plan.isMember && plan.member !== undefined) withRemovals.set(id, plan.keys)
  }
  for (const { keys, schema, match } of changed.values()) {
    if (watchedHeads.has(keys.head.toString('latin1'))) {
      throw new SyncError(
        'invalid_request',
        `The collection ${describeCollection(schema, match)} is watched in this transaction, so its members cannot be written in it: write them in another transaction (the watch then reports that write).`,
      )
    }
  }
  const compactions = await Promise.all(
    [...withRemovals.values()].map((keys) => compactable(tx, keys, settings)),
  )
  for (const { keys, entries } of compactions) {
    for (const { stamp, id } of entries) {
      tx.clear(keys.removals.at(stamp, id))
      tx.clear(keys.removal(id))
    }
    const last = entries.at(-1)
    if (last !== undefined) tx.set(keys.horizon, last.stamp)
  }
  for (const plan of plans) writePlan(tx, plan, settings)
  for (const { keys } of changed.values()) tx.setVersionstampedValue(keys.head, stampSlot(), 0)
}

function collectionsOf(record: TouchedRecord): Array<{ match: IndexMatch; isMember: boolean }> {
  const out: Array<{ match: IndexMatch; isMember: boolean }> = [
    { match: undefined, isMember: record.next !== null },
  ]
  for (const [index, field] of Object.entries(record.schema.indexes)) {
    const before = record.old === null ? undefined : indexValueOf(record.old, field)
    const after = record.next === null ? undefined : indexValueOf(record.next, field)
    if (after !== undefined) out.push({ match: [index, after], isMember: true })
    if (before !== undefined && before !== after)
      out.push({ match: [index, before], isMember: false })
  }
  return out
}

function writePlan(tx: KvTransaction, plan: Plan, settings: CollectionSettings): void {
  const { keys, id } = plan
  if (plan.member !== undefined) tx.clear(keys.changes.at(plan.member, id))
  if (plan.isMember) {
    if (plan.removal !== undefined) {
      tx.clear(keys.removals.at(plan.removal, id))
      tx.clear(keys.removal(id))
    }
    const entry = keys.changes.pending(id)
    tx.setVersionstampedKey(entry.key, EMPTY, entry.offset)
    tx.setVersionstampedValue(keys.member(id), stampSlot(), 0)
  } else if (plan.member !== undefined) {
    tx.clear(keys.member(id))
    const entry = keys.removals.pending(id)
    const at = Buffer.alloc(8)
    at.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(settings.now()))))
    tx.setVersionstampedKey(entry.key, at, entry.offset)
    tx.setVersionstampedValue(keys.removal(id), stampSlot(), 0)
  }
}

/** The oldest removal entries of `keys` that are past the retention (at most a batch). */
async function compactable(
  tx: KvTransaction,
  keys: CollectionKeys,
  settings: CollectionSettings,
): Promise<{ keys: CollectionKeys; entries: Array<{ stamp: Buffer; id: string }> }> {
  const found = await tx.getRange(keys.removals.prefix, keys.removals.end, {
    limit: COMPACT_BATCH,
  })
  const cutoff = settings.now() - settings.removalRetentionMs
  const entries: Array<{ stamp: Buffer; id: string }> = []
  for (const { key, value } of found) {
    if (value.length !== 8 || Number(Buffer.from(value).readBigUInt64BE(0)) > cutoff) break
    entries.push(keys.removals.decode(key))
  }
  return { keys, entries }
}
