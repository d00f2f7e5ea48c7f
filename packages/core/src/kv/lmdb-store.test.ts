import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { isSyncError } from '../errors.js'
import { openLmdbStore } from './lmdb-store.js'
import { startKvChildForTesting } from '../test-support/kv-child-process.js'
import { bodyOf, runStoreContract, within } from './store-contract.js'
import type { KvStore } from './store.js'

const tempDirs: string[] = []
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fdb-live-lmdb-'))
  tempDirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true })
})

runStoreContract('embedded (LMDB)', async () => {
  const dataDir = tempDir()
  const others: KvStore[] = []
  return {
    // No safety poll within a test: cross-process watches must fire through the notification.
    store: await openLmdbStore({ dataDir, create: true, pollIntervalMs: 3_600_000 }),
    openAnother: async () => {
      const store = await openLmdbStore({ dataDir, create: true })
      others.push(store)
      return store
    },
    childEnv: { FDB_LIVE_STORE_KIND: 'embedded', FDB_LIVE_DATA_DIR: dataDir },
    cleanup: async () => {
      await Promise.all(others.map((store) => store.close()))
    },
  }
})

describe('embedded (LMDB) store', () => {
  it('keeps commits across a restart, with versionstamps that keep increasing', async () => {
    const dataDir = tempDir()
    const stampOf = async (store: KvStore, value: string): Promise<Buffer> => {
      let stamp!: Promise<Uint8Array>
      await store.transact(
        bodyOf((tx) => {
          tx.set(Buffer.from('k'), Buffer.from(value))
          stamp = tx.getVersionstamp()
        }),
      )
      return Buffer.from(await stamp)
    }
    const first = await openLmdbStore({ dataDir, create: true })
    const before = await stampOf(first, 'kept')
    await first.close()
    const second = await openLmdbStore({ dataDir, create: true })
    expect(
      await second.transact(async (tx) =>
        Buffer.from((await tx.get(Buffer.from('k')))!).toString(),
      ),
    ).toBe('kept')
    const after = await stampOf(second, 'again')
    expect(Buffer.compare(before, after)).toBe(-1)
    await second.close()
  })

  it('opens a data directory whose name has a dot in it (mktemp -d gives tmp.XXXX)', async () => {
    // lmdb-js takes a path with an extension for a file name unless told otherwise.
    const dataDir = path.join(tempDir(), 'tmp.a1b2')
    const store = await openLmdbStore({ dataDir, create: true })
    await store.transact(bodyOf((tx) => tx.set(Buffer.from('k'), Buffer.from('v'))))
    await store.close()
    expect(fs.statSync(dataDir).isDirectory()).toBe(true)
  })

  it('fails with data_dir_unavailable, naming the directory, when it cannot be opened', async () => {
    const file = path.join(tempDir(), 'not-a-directory')
    fs.writeFileSync(file, 'x')
    const dataDir = path.join(file, 'data')
    const error: unknown = await openLmdbStore({ dataDir, create: true }).catch((e: unknown) => e)
    expect(isSyncError(error, 'data_dir_unavailable')).toBe(true)
    expect((error as Error).message).toContain(dataDir)
    expect((error as Error).message).toMatch(/FDB_LIVE_DATA_DIR/)
  })

  it('refuses to open a directory without a store unless asked to create one, naming the path', async () => {
    // The store was moved away: a writer must not quietly start a new, empty one there.
    const dataDir = path.join(tempDir(), 'moved-away')
    const error: unknown = await openLmdbStore({ dataDir }).catch((e: unknown) => e)
    expect(isSyncError(error, 'store_not_found')).toBe(true)
    expect((error as Error).message).toContain(dataDir)
    expect(fs.existsSync(dataDir)).toBe(false)
    const created = await openLmdbStore({ dataDir, create: true })
    await created.close()
    await (await openLmdbStore({ dataDir })).close()
  })

  describe('when commits.notify cannot be watched', () => {
    const key = Buffer.from('k')
    const arm = (store: KvStore) =>
      store.transact(async (tx) => {
        await tx.get(key)
        return { watch: tx.watch(key) }
      })
    const write = (store: KvStore, value: string) =>
      store.transact(bodyOf((tx) => tx.set(key, Buffer.from(value))))
    afterEach(() => vi.restoreAllMocks())

    it('arms the first watch anyway, falls back to polling, leaks no slot, and returns to notification', async () => {
      const dataDir = tempDir()
      const store = await openLmdbStore({
        dataDir,
        create: true,
        maxWatches: 1,
        pollIntervalMs: 50,
      })
      fs.unlinkSync(path.join(dataDir, 'commits.notify'))
      // fs.watch on a missing file throws ENOENT, as EMFILE or ENOSPC would.
      const realWatch = fs.watch
      const failing = vi.spyOn(fs, 'watch').mockImplementation(() => {
        throw Object.assign(new Error('ENOSPC: inotify watch limit reached'), { code: 'ENOSPC' })
      })
      const first = await arm(store)
      expect(store.status?.()).toEqual({ commitWakeups: 'poll' })
      const writer = await openLmdbStore({ dataDir })
      await write(writer, 'one')
      expect(await within(first.watch.changed, 5_000, 'the polled watch')).toBe(true)
      // The slot came back: maxWatches is 1.
      const second = await arm(store)
      failing.mockImplementation(realWatch)
      await vi.waitFor(() => expect(store.status?.()).toEqual({ commitWakeups: 'notify' }))
      second.watch.cancel()
      expect(await second.watch.changed).toBe(false)
      await writer.close()
      await store.close()
    })

    it('follows a commits.notify that was deleted while watched: other processes still wake watches at once', async () => {
      const dataDir = tempDir()
      // No safety poll within the test: the change must come through the notification.
      const store = await openLmdbStore({ dataDir, create: true, pollIntervalMs: 3_600_000 })
      const before = await arm(store)
      const writer = await openLmdbStore({ dataDir })
      await write(writer, 'one')
      expect(await within(before.watch.changed, 5_000, 'the first fire')).toBe(true)
      const armed = await arm(store)
      fs.unlinkSync(path.join(dataDir, 'commits.notify'))
      // Another process starts after the deletion: its commits touch a new file.
      const later = await openLmdbStore({ dataDir })
      await vi.waitFor(() => expect(fs.existsSync(path.join(dataDir, 'commits.notify'))).toBe(true))
      await write(later, 'two')
      expect(await within(armed.watch.changed, 5_000, 'the fire after the deletion')).toBe(true)
      await Promise.all([writer.close(), later.close(), store.close()])
    })
  })

  it('rejects watches beyond maxWatches with too_many_watches, and frees slots as they settle', async () => {
    const store = await openLmdbStore({ dataDir: tempDir(), create: true, maxWatches: 2 })
    const watches = await store.transact(
      bodyOf((tx) => [1, 2, 3].map((i) => tx.watch(Buffer.from(`k${i}`)))),
    )
    const error: unknown = await watches[2]!.changed.catch((e: unknown) => e)
    expect(isSyncError(error, 'too_many_watches')).toBe(true)
    watches[0]!.cancel()
    const again = await store.transact(bodyOf((tx) => tx.watch(Buffer.from('k4'))))
    again.cancel()
    expect(await again.changed).toBe(false)
    await store.close()
    expect(await watches[1]!.changed).toBe(false)
  })

  it('fires a watch whose snapshot is older than the change log (a spurious fire is allowed, a miss is not)', async () => {
    const dataDir = tempDir()
    const store = await openLmdbStore({ dataDir, create: true })
    const writer = await openLmdbStore({ dataDir, create: true, changeLogSize: 2 })
    const watch = await store.transact(async (tx) => {
      await tx.get(Buffer.from('watched'))
      const w = tx.watch(Buffer.from('watched'))
      await writer.transact(bodyOf((o) => o.set(Buffer.from('watched'), Buffer.from('changed'))))
      for (let i = 0; i < 5; i++)
        await writer.transact(bodyOf((o) => o.set(Buffer.from(`other${i}`), Buffer.from('x'))))
      return w
    })
    expect(await watch.changed).toBe(true)
    await writer.close()
    await store.close()
  })

  it('rejects keys LMDB cannot store, writing nothing', async () => {
    const store = await openLmdbStore({ dataDir: tempDir(), create: true })
    for (const key of [Buffer.alloc(0), Buffer.alloc(1979, 1)]) {
      const error: unknown = await store
        .transact(bodyOf((tx) => tx.set(key, Buffer.from('x'))))
        .catch((e: unknown) => e)
      expect(isSyncError(error, 'invalid_request')).toBe(true)
    }
    expect(await store.transact((tx) => tx.getRange(Buffer.of(0), Buffer.of(0xff)))).toEqual([])
    await store.close()
  })

  it('does not keep a process alive once its watches are settled', async () => {
    const dataDir = tempDir()
    const child = startKvChildForTesting(
      { FDB_LIVE_STORE_KIND: 'embedded', FDB_LIVE_DATA_DIR: dataDir },
      ['idle', Buffer.from('k').toString('hex')],
    )
    try {
      expect(await within(child.line('cancelled'), 20_000, 'the child')).toBe('cancelled false')
      await within(child.exited, 20_000, 'the child to exit on its own')
    } finally {
      child.kill()
    }
  })

  it('runs a burst of concurrent transactions that await between reads and writes', async () => {
    const store = await openLmdbStore({ dataDir: tempDir(), create: true })
    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
    await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        store.transact(async (tx) => {
          await tx.get(Buffer.from(`burst/${i}`))
          await turn()
          tx.set(Buffer.from(`burst/${i}`), Buffer.from(String(i)))
        }),
      ),
    )
    const rows = await store.transact((tx) =>
      tx.getRange(Buffer.from('burst/'), Buffer.from('burst0')),
    )
    expect(rows).toHaveLength(2000)
    await store.close()
  })
})
