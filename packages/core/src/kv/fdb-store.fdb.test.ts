/**
 * The store contract on FoundationDB: the libfdb_c test double that vitest's global setup
 * starts, or the real cluster named by FDB_CLUSTER_FILE (see docs/fdb.md). The suite's
 * name says which one ran.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { isSyncError } from '../errors.js'
import { openFdbStore } from './fdb-store.js'
import { bodyOf, runStoreContract } from './store-contract.js'
import type { KvStore } from './store.js'
import { fdbTargetForTesting } from '../test-support/fdb-target.js'

const { clusterFile, label } = fdbTargetForTesting()
if (!clusterFile) console.log(`fdb-store: ${label}`)

describe.skipIf(!clusterFile)(`FoundationDB store on ${label}`, () => {
  const file = clusterFile ?? ''

  runStoreContract('FoundationDB', async () => {
    const stores: KvStore[] = []
    const open = async (): Promise<KvStore> => {
      const store = await openFdbStore({ clusterFile: file })
      stores.push(store)
      return store
    }
    // No keyPrefix: the child processes open the store through openStore() from the
    // environment, and the contract already works under its own random key prefix.
    return {
      store: await open(),
      openAnother: open,
      childEnv: { FDB_LIVE_STORE_KIND: 'fdb', FDB_CLUSTER_FILE: file },
      cleanup: async () => {
        await Promise.all(stores.map((store) => store.close()))
      },
    }
  })

  describe('FoundationDB specifics', () => {
    /** A store under a fresh key prefix, cleared (through an unprefixed handle) afterwards. */
    async function withPrefixedStore(
      options: { maxWatches?: number },
      run: (store: KvStore, prefix: Buffer) => Promise<void>,
    ): Promise<void> {
      const prefix = Buffer.concat([
        Buffer.from('fdb-store-test/'),
        randomBytes(8),
        Buffer.from('/'),
      ])
      const store = await openFdbStore({ clusterFile: file, keyPrefix: prefix, ...options })
      try {
        await run(store, prefix)
      } finally {
        await store.close()
        const root = await openFdbStore({ clusterFile: file })
        await root.transact(
          bodyOf((tx) => tx.clearRange(prefix, Buffer.concat([prefix, Buffer.of(0xff)]))),
        )
        await root.close()
      }
    }

    it('answers ping', async () => {
      await withPrefixedStore({}, (store) => store.ping())
    })

    it('keeps keys under keyPrefix and hands them back without it', async () => {
      await withPrefixedStore({}, async (store, prefix) => {
        await store.transact(bodyOf((tx) => tx.set(Buffer.from('a'), Buffer.from('1'))))
        const entries = await store.transact((tx) =>
          tx.getRange(Buffer.from('a'), Buffer.from('b')),
        )
        expect(entries.map((e) => Buffer.from(e.key).toString())).toEqual(['a'])
        const root = await openFdbStore({ clusterFile: file })
        const raw = await root.transact((tx) => tx.get(Buffer.concat([prefix, Buffer.from('a')])))
        await root.close()
        expect(Buffer.from(raw!).toString()).toBe('1')
      })
    })

    it('rejects watches beyond maxWatches with too_many_watches', async () => {
      await withPrefixedStore({ maxWatches: 2 }, async (store) => {
        const watches = await store.transact(
          bodyOf((tx) => [1, 2, 3].map((i) => tx.watch(Buffer.from(`k${i}`)))),
        )
        // The watches within the budget never fire (nothing changes): wait for the first
        // one to settle, which must be the one over the budget, then cancel the rest.
        const first = await Promise.race(watches.map((w) => w.changed.catch((e: unknown) => e)))
        for (const watch of watches) watch.cancel()
        expect(isSyncError(first, 'too_many_watches')).toBe(true)
      })
    })

    it('keeps versionstamps increasing across a reopen', async () => {
      await withPrefixedStore({}, async (store) => {
        const stampOf = async (s: KvStore): Promise<Buffer> => {
          let stamp!: Promise<Uint8Array>
          await s.transact(
            bodyOf((tx) => {
              tx.set(Buffer.from('k'), Buffer.from('v'))
              stamp = tx.getVersionstamp()
            }),
          )
          return Buffer.from(await stamp)
        }
        const before = await stampOf(store)
        const again = await openFdbStore({ clusterFile: file })
        const after = await stampOf(again)
        await again.close()
        expect(Buffer.compare(before, after)).toBe(-1)
      })
    })

    it('fails ping with store_unavailable when the cluster cannot be reached', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fdb-live-fdb-'))
      const bogus = path.join(dir, 'fdb.cluster')
      fs.writeFileSync(bogus, 'nobody:nothing@127.0.0.1:1\n')
      const store = await openFdbStore({ clusterFile: bogus, pingTimeoutMs: 500 })
      try {
        const error: unknown = await store.ping().catch((e: unknown) => e)
        expect(isSyncError(error, 'store_unavailable')).toBe(true)
      } finally {
        await store.close()
        fs.rmSync(dir, { recursive: true, force: true })
      }
    })
  })
})
