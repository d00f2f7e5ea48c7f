import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isSyncError } from '../errors.js'
import type { KvStore } from '../kv/store.js'
import { defineSchema } from '../schema.js'
import { ZERO_VERSION, type Version } from '../version.js'
import { createRepo } from './repo.js'
import type { CollectionQuery, RepoOptions, SyncRecord, TenantRepo } from './types.js'

interface Todo {
  title: string
  listId?: string
  done?: boolean
}
const Todo = defineSchema<Todo>('todos', { indexes: { byList: 'listId', byDone: 'done' } })
type Write =
  { kind: 'put'; id: number; list: string | undefined; n: number } | { kind: 'delete'; id: number }

/** The same schema as a reader that only knows its name (the gateway's view). */
const TodoByName = defineSchema<Todo>('todos')

/**
 * Live collections on every store (issue 13): declared indexes kept by every write, the
 * version index read by changesSince, removals, compaction, the size limit and the watch
 * on a collection's head. Called inside the repo contract's describe.
 */
export function runCollectionContract(context: () => { store: KvStore; root: string }): void {
  describe('collections', () => {
    let count = 0
    const tenantOf = (options: RepoOptions = {}): TenantRepo => {
      const { store, root } = context()
      return createRepo(store, { root, ...options }).tenant(`coll-${++count}`)
    }
    const ids = (records: Array<{ id: string }>): string[] => records.map((r) => r.id)

    it('lists the whole schema and one index value in id order, kept by every kind of write', async () => {
      const t = tenantOf()
      await t.put(Todo, 'b', { title: 'B', listId: 'inbox' })
      await t.insert(Todo, 'a', { title: 'A', listId: 'inbox' })
      await t.put(Todo, 'c', { title: 'C', listId: 'work' })
      await t.put(Todo, 'd', { title: 'no list' })
      expect(ids(await t.list(Todo))).toEqual(['a', 'b', 'c', 'd'])
      expect(ids(await t.list(Todo, { where: { byList: 'inbox' } }))).toEqual(['a', 'b'])
      // An index move: b leaves inbox and joins work.
      await t.update(Todo, 'b', { title: 'B', listId: 'work' })
      await t.delete(Todo, 'a')
      await t.transact(async (tx) => {
        await tx.put(Todo, 'e', { title: 'E', listId: 'inbox' })
        await tx.put(Todo, 'e', { title: 'E2', listId: 'inbox' })
      })
      expect(ids(await t.list(Todo, { where: { byList: 'inbox' } }))).toEqual(['e'])
      const work = await t.list(TodoByName, { where: { byList: 'work' } })
      expect(work).toEqual([await t.get(Todo, 'b'), await t.get(Todo, 'c')])
      expect(ids(await t.list(Todo))).toEqual(['b', 'c', 'd', 'e'])
      expect((await t.list(Todo, { where: { byList: 'inbox' } }))[0]!.value.title).toBe('E2')
      expect(ids(await t.list(Todo, { limit: 2, after: 'b' }))).toEqual(['c', 'd'])
      expect(await t.list(Todo, { where: { byList: 'nowhere' } })).toEqual([])
    })

    it('indexes booleans and integers, and only those: other values are in no index collection', async () => {
      const t = tenantOf()
      await t.put(Todo, 'x', { title: 'X', done: true })
      await t.put(Todo, 'y', { title: 'Y', done: 1 as never })
      await t.put(Todo, 'z', { title: 'Z', done: 'true' as never })
      await t.put(Todo, 'f', { title: 'F', done: 1.5 as never })
      await t.put(Todo, 'o', { title: 'O', done: { yes: true } as never })
      expect(ids(await t.list(Todo, { where: { byDone: true } }))).toEqual(['x'])
      expect(ids(await t.list(Todo, { where: { byDone: 1 } }))).toEqual(['y'])
      expect(ids(await t.list(Todo, { where: { byDone: 'true' } }))).toEqual(['z'])
      expect(ids(await t.list(Todo))).toEqual(['f', 'o', 'x', 'y', 'z'])
    })

    it('changesSince: the members first, then only what changed, with removals, oldest first', async () => {
      const t = tenantOf()
      const inbox: CollectionQuery = { where: { byList: 'inbox' } }
      const empty = await t.changesSince(Todo, inbox)
      expect(empty).toEqual({ reset: true, changes: [], version: ZERO_VERSION })
      await t.put(Todo, 'a', { title: 'A', listId: 'inbox' })
      const b = await t.put(Todo, 'b', { title: 'B', listId: 'inbox' })
      const first = await t.changesSince(Todo, inbox)
      expect(first.reset).toBe(true)
      expect(ids(first.changes)).toEqual(['a', 'b'])
      expect(first.version).toBe(b.version)
      expect(await t.changesSince(Todo, { ...inbox, since: first.version })).toEqual({
        reset: false,
        changes: [],
        version: first.version,
      })
      await t.put(Todo, 'unrelated', { title: 'U', listId: 'work' })
      const moved = await t.update(Todo, 'a', { title: 'A', listId: 'work' })
      const edited = await t.update(Todo, 'b', { title: 'B2', listId: 'inbox' })
      const deleted = await t.delete(Todo, 'b')
      const added = await t.put(Todo, 'c', { title: 'C', listId: 'inbox' })
      const next = await t.changesSince(Todo, { ...inbox, since: first.version })
      expect(next).toEqual({
        reset: false,
        // One entry per id, its latest change: b's edit is superseded by its deletion.
        changes: [
          { id: 'a', version: moved.version, value: null },
          { id: 'b', version: deleted!.version, value: null },
          { id: 'c', version: added.version, value: { title: 'C', listId: 'inbox' } },
        ],
        version: added.version,
      })
      expect(edited.version < deleted!.version).toBe(true)
      // The whole schema: a's move is a change, not a removal.
      const whole = await t.changesSince(Todo, { since: first.version })
      expect(whole.changes.map((c) => [c.id, c.value === null])).toEqual([
        ['unrelated', false],
        ['a', false],
        ['b', true],
        ['c', false],
      ])
      // A version from the future (another store, another epoch) is not usable.
      const future = await t.changesSince(Todo, { ...inbox, since: 'ffffffffffffffffffff' })
      expect(future.reset).toBe(true)
      expect(ids(future.changes)).toEqual(['c'])
    })

    it('a member that leaves and comes back has one entry: its latest change', async () => {
      const t = tenantOf()
      const inbox = { where: { byList: 'inbox' } }
      await t.put(Todo, 'a', { title: 'A', listId: 'inbox' })
      const { version: since } = await t.changesSince(Todo, inbox)
      await t.put(Todo, 'a', { title: 'A', listId: 'work' })
      await t.put(Todo, 'a', { title: 'A', listId: 'work', done: true })
      const back = await t.put(Todo, 'a', { title: 'A', listId: 'inbox' })
      const changes = await t.changesSince(Todo, { ...inbox, since })
      expect(changes.changes).toEqual([
        { id: 'a', version: back.version, value: { title: 'A', listId: 'inbox' } },
      ])
    })

    it('compacts removals after the retention: a since older than them gets the full list (reset)', async () => {
      const t = tenantOf({ removalRetentionMs: 0 })
      await t.put(Todo, 'a', { title: 'A' })
      await t.put(Todo, 'b', { title: 'B' })
      await t.put(Todo, 'c', { title: 'C' })
      const { version: old } = await t.changesSince(Todo)
      await t.delete(Todo, 'a')
      const afterA = (await t.changesSince(Todo)).version
      // Retention 0: this removal compacts a's removal entry.
      await t.delete(Todo, 'b')
      const fromOld = await t.changesSince(Todo, { since: old })
      expect(fromOld.reset).toBe(true)
      expect(ids(fromOld.changes)).toEqual(['c'])
      // A since at or after the compacted removal still gets only the changes.
      const fromA = await t.changesSince(Todo, { since: afterA })
      expect(fromA.reset).toBe(false)
      expect(fromA.changes.map((c) => [c.id, c.value])).toEqual([['b', null]])
    })

    it('refuses a collection over the size limit with collection_too_large (a limited list pages)', async () => {
      const t = tenantOf({ maxCollectionSize: 3 })
      for (const id of ['a', 'b', 'c', 'd']) await t.put(Todo, id, { title: id, listId: 'l' })
      const error = await t.list(Todo).catch((e: unknown) => e)
      expect(isSyncError(error, 'collection_too_large')).toBe(true)
      expect((error as Error).message).toMatch(/more than 3 members/)
      const changes = await t
        .changesSince(Todo, { where: { byList: 'l' } })
        .catch((e: unknown) => e)
      expect(isSyncError(changes, 'collection_too_large')).toBe(true)
      expect(ids(await t.list(Todo, { limit: 2, after: 'a' }))).toEqual(['b', 'c'])
    })

    it('rejects a bad where, limit, after or since with a clear error', async () => {
      const t = tenantOf()
      const codeOf = (p: Promise<unknown>): Promise<unknown> =>
        p.then(
          () => 'resolved',
          (e: unknown) => (isSyncError(e) ? `${e.code}: ${e.message}` : e),
        )
      expect(await codeOf(t.list(Todo, { where: { a: 'x', b: 'y' } }))).toMatch(
        /^invalid_request: where has 2 entries/,
      )
      expect(await codeOf(t.list(Todo, { where: { byList: 1.5 } }))).toMatch(
        /^invalid_request: where.byList is 1.5/,
      )
      expect(await codeOf(t.list(Todo, { where: { 'no spaces': 'x' } }))).toMatch(
        /^invalid_request: Invalid index name/,
      )
      expect(await codeOf(t.list(Todo, { limit: 0 }))).toMatch(/^invalid_request: list limit/)
      expect(await codeOf(t.list(Todo, { after: '' }))).toMatch(/^invalid_id/)
      expect(await codeOf(t.changesSince(Todo, { since: 'nope' }))).toMatch(/^invalid_version/)
      expect(await codeOf(t.put(Todo, 'long', { title: 'x', listId: 'x'.repeat(300) }))).toMatch(
        /^invalid_value: todos\/long field listId \(index byList\) is 300 bytes/,
      )
    })

    it('readCollectionAndWatch fires for a change in the collection, not for another index value', async () => {
      const t = tenantOf()
      await t.put(Todo, 'a', { title: 'A', listId: 'inbox' })
      const { changes, watch } = await t.readCollectionAndWatch(Todo, {
        where: { byList: 'inbox' },
      })
      expect(ids(changes.changes)).toEqual(['a'])
      let fired = false
      void watch.changed.then(() => (fired = true))
      await t.put(Todo, 'w', { title: 'W', listId: 'work' })
      // The work write committed; give the inbox watch a chance to (wrongly) fire.
      await t.readAndWatch(Todo, 'w').then(({ watch: w }) => w.cancel())
      expect(fired).toBe(false)
      await t.put(Todo, 'b', { title: 'B', listId: 'inbox' })
      expect(await watch.changed).toBe(true)
    })

    it('refuses to write a member of a collection watched in the same transaction', async () => {
      const t = tenantOf()
      const error = await t
        .transact(async (tx) => {
          tx.watchCollection(Todo, { where: { byList: 'inbox' } })
          await tx.put(Todo, 'a', { title: 'A', listId: 'inbox' })
        })
        .catch((e: unknown) => e)
      expect(isSyncError(error, 'invalid_request')).toBe(true)
      expect(await t.get(Todo, 'a')).toBeNull()
    })

    it('property: readers resuming with since always converge to list() and never go back', async () => {
      const listIds = ['inbox', 'work', undefined] as const
      const write: fc.Arbitrary<Write> = fc.oneof(
        fc.record({
          kind: fc.constant('put' as const),
          id: fc.integer({ min: 0, max: 5 }),
          list: fc.constantFrom(...listIds),
          n: fc.integer({ min: 0, max: 9 }),
        }),
        fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 5 }) }),
      )
      const step = fc.record({
        writes: fc.array(write, { minLength: 0, maxLength: 3 }),
        readers: fc.subarray([0, 1, 2, 3]),
        together: fc.boolean(),
      })
      const queries: CollectionQuery[] = [
        {},
        { where: { byList: 'inbox' } },
        { where: { byList: 'work' } },
        { where: { byList: 'inbox' } },
      ]
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
          const t = tenantOf()
          const readers = queries.map((query) => ({
            query,
            since: undefined as Version | undefined,
            members: new Map<string, SyncRecord<Todo>>(),
            seen: new Map<string, Version>(),
          }))
          const read = async (r: (typeof readers)[number]): Promise<void> => {
            const got = await t.changesSince(Todo, {
              ...r.query,
              ...(r.since === undefined ? {} : { since: r.since }),
            })
            // With the default retention nothing is compacted: a resume is never a reset.
            expect(got.reset).toBe(r.since === undefined)
            if (got.reset) r.members.clear()
            for (const change of got.changes) {
              const had = r.seen.get(change.id)
              if (had !== undefined) expect(change.version > had).toBe(true)
              r.seen.set(change.id, change.version)
              if (change.value === null) r.members.delete(change.id)
              else r.members.set(change.id, change as SyncRecord<Todo>)
            }
            r.since = got.version
          }
          const apply = async (w: Write): Promise<void> => {
            const id = `t${w.id}`
            if (w.kind === 'delete') await t.delete(Todo, id)
            else await t.put(Todo, id, { title: `${w.n}`, ...(w.list ? { listId: w.list } : {}) })
          }
          for (const s of steps) {
            const reads = s.readers.map((i) => readers[i]!)
            if (s.together) await Promise.all([...s.writes.map(apply), ...reads.map(read)])
            else {
              for (const w of s.writes) await apply(w)
              for (const r of reads) await read(r)
            }
          }
          for (const r of readers) {
            await read(r)
            const sorted = [...r.members.values()].sort((a, b) =>
              Buffer.compare(Buffer.from(a.id), Buffer.from(b.id)),
            )
            expect(sorted).toEqual(await t.list(Todo, r.query))
          }
          // The index agrees with the records themselves.
          const all = await t.list(Todo)
          expect(ids(await t.list(Todo, { where: { byList: 'inbox' } }))).toEqual(
            ids(all.filter((r) => r.value.listId === 'inbox')),
          )
        }),
        { numRuns: 15 },
      )
    }, 60_000)
  })
}
