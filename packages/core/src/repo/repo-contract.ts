import fc from 'fast-check'
import { pack } from 'fdb-tuple'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { SyncError, isSyncError, type SyncErrorCode } from '../errors.js'
import type { KvStore } from '../kv/store.js'
import { defineSchema } from '../schema.js'
import { ZERO_VERSION, isVersion } from '../version.js'
import { runCollectionContract } from './collection-contract.js'
import { createRepo } from './repo.js'
import type { Repo, TenantRepo } from './types.js'

interface QuoteDoc {
  author: string
  content: string
  likes: number
}
const Quote = defineSchema<QuoteDoc>('quotes')
const quote: QuoteDoc = {
  author: 'Philippe Verdoux',
  content: 'Enlightenment leads to benightedness.',
  likes: 0,
}

/**
 * The Repo behaviour every store must show: records, versions, deletes, chunking, watches
 * and bad input. `open` returns a fresh store; `root` isolates this run's keys.
 */
export function runRepoContract(
  name: string,
  open: () => Promise<KvStore>,
  root = `test-${process.pid}-${Date.now()}`,
): void {
  describe(`Repo on ${name}`, () => {
    let store: KvStore
    let repo: Repo
    let t: TenantRepo
    let tenantCount = 0
    const fresh = (): TenantRepo => repo.tenant(`tenant-${++tenantCount}`)

    beforeAll(async () => {
      store = await open()
      repo = createRepo(store, { root })
    })
    afterAll(async () => {
      await store.transact((tx) => {
        tx.clearRange(pack([root]), Buffer.concat([pack([root]), Buffer.from([0xff])]))
        return Promise.resolve()
      })
      await store.close()
    })

    /** Every key this tenant has, so a test can prove that nothing was written. */
    async function keysOf(tenant: TenantRepo): Promise<number> {
      const prefix = pack([root, tenant.name])
      const entries = await store.transact((tx) =>
        tx.getRange(prefix, Buffer.concat([prefix, Buffer.from([0xff])])),
      )
      return entries.length
    }

    async function expectCode(
      promise: Promise<unknown> | (() => unknown),
      code: SyncErrorCode,
    ): Promise<void> {
      const error: unknown = await (
        typeof promise === 'function' ? Promise.resolve().then(promise) : promise
      ).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isSyncError(error) ? error.code : error).toBe(code)
    }

    it('puts and gets a record with a versionstamp version', async () => {
      t = fresh()
      const { version } = await t.put(Quote, 'my-favorite-quote', quote)
      expect(isVersion(version)).toBe(true)
      expect(await t.get(Quote, 'my-favorite-quote')).toEqual({
        id: 'my-favorite-quote',
        version,
        value: quote,
      })
      const second = await t.put(Quote, 'my-favorite-quote', { ...quote, likes: 1 })
      expect(second.version > version).toBe(true)
    })

    it('returns null and the zero version for a record never written', async () => {
      t = fresh()
      expect(await t.get(Quote, 'nope')).toBeNull()
      expect(await t.getState(Quote, 'nope')).toEqual({
        id: 'nope',
        version: ZERO_VERSION,
        value: null,
      })
    })

    it('insert fails on an existing record and update on a missing one, writing nothing', async () => {
      t = fresh()
      const { version } = await t.insert(Quote, 'q', quote)
      await expectCode(t.insert(Quote, 'q', { ...quote, likes: 9 }), 'already_exists')
      await expectCode(t.update(Quote, 'missing', quote), 'not_found')
      expect(await t.get(Quote, 'q')).toEqual({ id: 'q', version, value: quote })
      expect(await t.get(Quote, 'missing')).toBeNull()
      const updated = await t.update(Quote, 'q', { ...quote, likes: 2 })
      expect(updated.version > version).toBe(true)
    })

    it('deletes with a tombstone whose version orders after the deleted value', async () => {
      t = fresh()
      const { version } = await t.put(Quote, 'q', quote)
      const deleted = await t.delete(Quote, 'q')
      expect(deleted!.version > version).toBe(true)
      expect(await t.get(Quote, 'q')).toBeNull()
      expect(await t.getState(Quote, 'q')).toEqual({
        id: 'q',
        version: deleted!.version,
        value: null,
      })
      expect(await t.delete(Quote, 'q')).toBeNull()
      expect(await t.delete(Quote, 'never')).toBeNull()
      // A deleted record can be inserted again, with a newer version.
      const again = await t.insert(Quote, 'q', quote)
      expect(again.version > deleted!.version).toBe(true)
    })

    it('rolls back every write of a transaction whose body throws', async () => {
      t = fresh()
      await expect(
        t.transact(async (tx) => {
          await tx.put(Quote, 'a', quote)
          await tx.put(Quote, 'b', quote)
          throw new Error('changed my mind')
        }),
      ).rejects.toThrow('changed my mind')
      expect(await keysOf(t)).toBe(0)
    })

    it('never loses a concurrent like: read-modify-write transactions are retried', async () => {
      t = fresh()
      await t.put(Quote, 'q', quote)
      const like = (): Promise<void> =>
        t.transact(async (tx) => {
          const q = await tx.get(Quote, 'q')
          await tx.update(Quote, 'q', { ...q!.value, likes: q!.value.likes + 1 })
        })
      await Promise.all(Array.from({ length: 40 }, like))
      expect((await t.get(Quote, 'q'))!.value.likes).toBe(40)
    })

    it('splits a large document into chunks, round-trips it, and leaves no stale chunk', async () => {
      t = fresh()
      const big = { ...quote, content: 'x'.repeat(350_000) + 'é'.repeat(20_000) }
      const { record, watch } = await t.transact(async (tx) => {
        const record = await tx.get(Quote, 'big')
        return { record, watch: tx.watch(Quote, 'big') }
      })
      expect(record).toBeNull()
      await t.put(Quote, 'big', big)
      expect(await watch.changed).toBe(true)
      expect((await t.get(Quote, 'big'))!.value).toEqual(big)
      expect(await keysOf(t)).toBeGreaterThan(4)
      await t.put(Quote, 'big', quote)
      expect((await t.get(Quote, 'big'))!.value).toEqual(quote)
      expect(await keysOf(t)).toBe(1)
    })

    it('fires a watch registered with the read when the record changes or is deleted', async () => {
      t = fresh()
      await t.put(Quote, 'q', quote)
      const arm = () =>
        t.transact(async (tx) => ({
          record: await tx.get(Quote, 'q'),
          watch: tx.watch(Quote, 'q'),
        }))
      const first = await arm()
      expect(first.record!.value).toEqual(quote)
      await t.put(Quote, 'q', { ...quote, likes: 5 })
      expect(await first.watch.changed).toBe(true)
      const second = await arm()
      expect(second.record!.value.likes).toBe(5)
      await t.delete(Quote, 'q')
      expect(await second.watch.changed).toBe(true)
    })

    it('iterates a record live with watch(): current state, then every newer state', async () => {
      t = fresh()
      const controller = new AbortController()
      const seen: Array<number | null> = []
      const versions: string[] = []
      const done = (async () => {
        for await (const state of t.watch(Quote, 'q', { signal: controller.signal })) {
          seen.push(state.value?.likes ?? null)
          versions.push(state.version)
          if (seen.length === 1) await t.put(Quote, 'q', quote)
          else if (seen.length === 2) await t.put(Quote, 'q', { ...quote, likes: 1 })
          else if (seen.length === 3) await t.delete(Quote, 'q')
          else controller.abort()
        }
      })()
      await done
      expect(seen).toEqual([null, 0, 1, null])
      expect([...versions].sort()).toEqual(versions)
      expect(new Set(versions).size).toBe(4)
    })

    it('readAndWatch returns the state and a watch that fires on the next write', async () => {
      t = fresh()
      const { version } = await t.put(Quote, 'q', quote)
      const { state, watch } = await t.readAndWatch(Quote, 'q')
      expect(state).toEqual({ id: 'q', version, value: quote })
      const next = await t.put(Quote, 'q', { ...quote, likes: 1 })
      expect(await watch.changed).toBe(true)
      expect((await t.readAndWatch(Quote, 'q')).state.version).toBe(next.version)
    })

    it('watch() rides out a store that is briefly unavailable: the reader still gets the record', async () => {
      t = fresh()
      await t.put(Quote, 'q', quote)
      let failures = 2
      const flaky: KvStore = {
        kind: store.kind,
        transact: (body, options) =>
          failures-- > 0
            ? Promise.reject(new SyncError('store_unavailable', 'injected'))
            : store.transact(body, options),
        ping: () => store.ping(),
        close: () => Promise.resolve(),
      }
      const controller = new AbortController()
      const flakyTenant = createRepo(flaky, { root }).tenant(t.name)
      for await (const state of flakyTenant.watch(Quote, 'q', { signal: controller.signal })) {
        expect(state.value).toEqual(quote)
        controller.abort()
      }
      expect(failures).toBeLessThan(0)
    })

    it('has one epoch per store: created by the first readers (who agree), kept, and new after a reset', async () => {
      const epochRoot = `${root}-epoch`
      const epochRepo = createRepo(store, { root: epochRoot })
      const reset = () =>
        store.transact((tx) => {
          tx.clearRange(pack([epochRoot]), Buffer.concat([pack([epochRoot]), Buffer.from([0xff])]))
          return Promise.resolve()
        })
      const first = await Promise.all(Array.from({ length: 5 }, () => epochRepo.epoch()))
      expect(new Set(first).size).toBe(1)
      expect(first[0]).toMatch(/^[0-9a-f]{32}$/)
      expect(await epochRepo.tenant('a').transact((tx) => tx.epoch())).toBe(first[0])
      await reset()
      const after = await epochRepo.epoch()
      expect(after).toMatch(/^[0-9a-f]{32}$/)
      expect(after).not.toBe(first[0])
      await reset()
    })

    it('round-trips any JSON value', async () => {
      t = fresh()
      const Any = defineSchema<unknown>('any')
      await fc.assert(
        fc.asyncProperty(
          fc.jsonValue().filter((v) => v !== null),
          async (value) => {
            await t.put(Any, 'v', value)
            // JSON has no -0: it reads back as 0, as JSON.parse(JSON.stringify(-0)) does.
            expect((await t.get(Any, 'v'))!.value).toEqual(JSON.parse(JSON.stringify(value)))
          },
        ),
        { numRuns: 60 },
      )
    })

    it('refuses to watch a record written in the same transaction, and to write one it watches', async () => {
      t = fresh()
      await t.put(Quote, 'q', quote)
      await expectCode(
        t.transact(async (tx) => {
          await tx.put(Quote, 'q', { ...quote, likes: 1 })
          return { watch: tx.watch(Quote, 'q') }
        }),
        'invalid_request',
      )
      await expectCode(
        t.transact(async (tx) => {
          const watch = tx.watch(Quote, 'q')
          await tx.put(Quote, 'q', { ...quote, likes: 2 })
          return { watch }
        }),
        'invalid_request',
      )
      expect((await t.get(Quote, 'q'))!.value.likes).toBe(0) // neither wrote anything
    })

    it('keeps the watched head small: a document over 2 KB goes to chunks', async () => {
      t = fresh()
      const doc = { ...quote, content: 'y'.repeat(3000) }
      await t.put(Quote, 'q', doc)
      const head = await store.transact((tx) => tx.get(pack([root, t.name, 'quotes', 'q'])))
      expect(head!.length).toBeLessThanOrEqual(20) // format, stamp, kind, count, length
      expect(await keysOf(t)).toBe(2) // the head and one chunk
      expect((await t.get(Quote, 'q'))!.value).toEqual(doc)
      await t.put(Quote, 'q', quote) // small again: inline, and the chunk is gone
      expect(await keysOf(t)).toBe(1)
    })

    it('keeps a watch after its transaction’s timeout has passed: it fires on the next change', async () => {
      t = fresh()
      await t.put(Quote, 'q', quote)
      const { watch } = await t.transact(
        async (tx) => ({ record: await tx.get(Quote, 'q'), watch: tx.watch(Quote, 'q') }),
        { timeoutMs: 200 },
      )
      // Let the arming transaction's timeout pass: a committed watch must not be cut by it
      // (FoundationDB's read-your-writes layer keeps committed watches past it).
      await new Promise((resolve) => setTimeout(resolve, 400))
      await t.put(Quote, 'q', { ...quote, likes: 9 })
      expect(await watch.changed).toBe(true)
    })

    it('rejects bad names with a clear error and writes nothing', async () => {
      t = fresh()
      // A lone surrogate has no UTF-8 form: encoded as U+FFFD, 'a\ud800' and 'a\udc00'
      // would share one key, so two tenants (or ids) would read each other's records.
      for (const tenant of ['', 'a\u0001b', 'x'.repeat(257), 'a\ud800']) {
        await expectCode(() => repo.tenant(tenant), 'invalid_tenant')
      }
      for (const schemaName of ['', '1quotes', 'quo tes', 'q'.repeat(65)]) {
        await expectCode(() => defineSchema(schemaName), 'invalid_schema')
      }
      for (const id of ['', 'a\nb', 'é'.repeat(513), 'a\udc00', '\ud83d']) {
        await expectCode(t.put(Quote, id, quote), 'invalid_id')
      }
      expect(await keysOf(t)).toBe(0)
    })

    it('rejects values that are not JSON or too large, and writes nothing', async () => {
      t = fresh()
      const Any = defineSchema<unknown>('any')
      const circular: Record<string, unknown> = {}
      circular['self'] = circular
      for (const value of [
        null,
        undefined,
        () => 1,
        10n,
        { n: Number.NaN },
        { m: new Map() },
        circular,
      ]) {
        await expectCode(t.put(Any, 'v', value), 'invalid_value')
      }
      await expectCode(t.put(Any, 'v', 'x'.repeat(9 * 1024 * 1024)), 'value_too_large')
      expect(await keysOf(t)).toBe(0)
    })

    it('runs the schema validator on writes and stores its output', async () => {
      t = fresh()
      const Strict = defineSchema('quotes', {
        validator: z.object({ author: z.string().min(1), likes: z.number().int().min(0) }),
      })
      await expectCode(t.put(Strict, 'q', { author: '', likes: -1 }), 'validation_failed')
      expect(await keysOf(t)).toBe(0)
      await t.put(Strict, 'q', { author: 'A', likes: 1, extra: 'stripped' } as never)
      expect((await t.get(Strict, 'q'))!.value).toEqual({ author: 'A', likes: 1 })
    })

    runCollectionContract(() => ({ store, root }))
  })
}
