/**
 * The behaviour suite every {@link KvStore} passes (after Rocicorp's `runAll`): call
 * {@link runStoreContract} from a store's test file. Tests run against the real store,
 * with real child processes (test-support/kv-child.ts) for cross-process behaviour.
 * Each test works under its own random key prefix, so a shared cluster is fine.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isSyncError } from '../errors.js'
import { startKvChildForTesting } from '../test-support/kv-child-process.js'
import type { KvChildForTesting } from '../test-support/kv-child-process.js'
import type { KvStore, KvTransaction } from './store.js'

/** What a store's test gives the contract. */
export interface StoreHandleForTesting {
  /** The store under test. */
  store: KvStore
  /** Opens another, independent handle on the same store in this process. */
  openAnother(): Promise<KvStore>
  /** Environment for test-support/kv-child.ts to open the same store in a child process. */
  childEnv: Record<string, string>
  /** Closes what the handle opened and removes its data. */
  cleanup(): Promise<void>
}

const bytes = (text: string): Buffer => Buffer.from(text)
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : Buffer.from(value).toString()

/** Wraps a synchronous transaction body (one that only writes or watches) as `transact` wants it. */
export function bodyOf<T>(fn: (tx: KvTransaction) => T): (tx: KvTransaction) => Promise<T> {
  return (tx) => {
    try {
      return Promise.resolve(fn(tx))
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
  }
}

/** Rejects (failing the test) when `promise` takes longer than `ms`; a bound, not a sleep. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * The test double's fault mode (FDB_DOUBLE_BUGGIFY, the test command's fault pass): watches
 * fire now and then without a change, and commits are reported unknown.
 */
const FAULTS_INJECTED = process.env['FDB_DOUBLE_BUGGIFY'] !== undefined

/**
 * Whether a watch that nothing has changed yet is still pending, as it must be. Under
 * injected faults it may have ended already, as FoundationDB allows: fired without a change
 * (`true`), or ended with its transaction's commit that was reported unknown (`false`);
 * the test then stops there (it answers `false`). Without faults that fails the test.
 */
async function pendingUnlessFaults(changed: Promise<boolean>): Promise<boolean> {
  if (!(await hasSettled(changed))) return true
  expect(FAULTS_INJECTED, 'the watch settled before any change').toBe(true)
  return false
}

/** Resolves `true` if `promise` has settled by the time the event loop has turned a few times. */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  )
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
  return settled
}

/** Runs the store contract against the stores that `open` returns (one per suite). */
export function runStoreContract(name: string, open: () => Promise<StoreHandleForTesting>): void {
  describe(`KvStore contract: ${name}`, () => {
    let handle: StoreHandleForTesting
    let store: KvStore
    /** A key under this test run's random prefix. */
    let key: (name: string) => Buffer
    let prefix: Buffer

    beforeAll(async () => {
      handle = await open()
      store = handle.store
      prefix = Buffer.concat([bytes('contract/'), randomBytes(8), bytes('/')])
      key = (suffix) => Buffer.concat([prefix, bytes(suffix)])
    })
    afterAll(async () => {
      for (const process of started) process.kill() // only matters when a test failed
      await store.transact(
        bodyOf((tx) => tx.clearRange(prefix, Buffer.concat([prefix, Buffer.of(0xff)]))),
      )
      await handle.cleanup()
    })

    const write = (k: Buffer, value: string): Promise<void> =>
      store.transact(bodyOf((tx) => tx.set(k, bytes(value))))
    const read = (k: Buffer): Promise<string | undefined> =>
      store.transact(async (tx) => text(await tx.get(k)))
    const started: KvChildForTesting[] = []
    const child = (...args: string[]): KvChildForTesting => {
      const process = startKvChildForTesting(handle.childEnv, args)
      started.push(process)
      return process
    }

    describe('transactions', () => {
      it('commits writes, which later transactions read', async () => {
        const result = await store.transact(async (tx) => {
          tx.set(key('c/a'), bytes('1'))
          tx.set(key('c/b'), bytes('2'))
          expect(text(await tx.get(key('c/a')))).toBe('1') // read-your-writes
          return 'ok'
        })
        expect(result).toBe('ok')
        expect(await read(key('c/a'))).toBe('1')
        expect(await read(key('c/b'))).toBe('2')
      })

      it('rolls back every write of a body that throws, and rethrows its error', async () => {
        await write(key('r/a'), 'before')
        const failure = new Error('body failed')
        await expect(
          store.transact(
            bodyOf((tx) => {
              tx.set(key('r/a'), bytes('after'))
              tx.set(key('r/b'), bytes('new'))
              tx.clear(key('r/a'))
              throw failure
            }),
          ),
        ).rejects.toBe(failure)
        expect(await read(key('r/a'))).toBe('before')
        expect(await read(key('r/b'))).toBeUndefined()
      })

      it('clears a key and a range', async () => {
        for (const k of ['x/1', 'x/2', 'x/3', 'x/4']) await write(key(k), k)
        await store.transact(async (tx) => {
          tx.clear(key('x/1'))
          tx.clearRange(key('x/2'), key('x/4'))
          expect(await tx.get(key('x/2'))).toBeUndefined()
          expect((await tx.getRange(key('x/'), key('x0'))).map((e) => text(e.key))).toEqual([
            key('x/4').toString(),
          ])
        })
        expect(await read(key('x/1'))).toBeUndefined()
        expect(await read(key('x/2'))).toBeUndefined()
        expect(await read(key('x/3'))).toBeUndefined()
        expect(await read(key('x/4'))).toBe('x/4')
      })

      it('reads ranges in order, with limit and reverse, merged with its own writes', async () => {
        await store.transact(
          bodyOf((tx) => {
            for (const k of ['g/a', 'g/b', 'g/c', 'g/d', 'g/e'])
              tx.set(key(k), bytes(k.toUpperCase()))
            tx.set(key('h'), bytes('outside'))
          }),
        )
        const names = (entries: Array<{ key: Uint8Array }>) =>
          entries.map((e) => Buffer.from(e.key).subarray(prefix.length).toString())
        await store.transact(async (tx) => {
          const [start, end] = [key('g/'), key('g0')]
          expect(names(await tx.getRange(start, end))).toEqual(['g/a', 'g/b', 'g/c', 'g/d', 'g/e'])
          expect(text((await tx.getRange(start, end))[2]?.value)).toBe('G/C')
          expect(names(await tx.getRange(start, end, { limit: 2 }))).toEqual(['g/a', 'g/b'])
          expect(names(await tx.getRange(start, end, { reverse: true }))).toEqual([
            'g/e',
            'g/d',
            'g/c',
            'g/b',
            'g/a',
          ])
          expect(names(await tx.getRange(start, end, { reverse: true, limit: 2 }))).toEqual([
            'g/e',
            'g/d',
          ])
          expect(names(await tx.getRange(key('g/b'), key('g/d')))).toEqual(['g/b', 'g/c'])
          tx.clear(key('g/b'))
          tx.set(key('g/bb'), bytes('new'))
          tx.clearRange(key('g/d'), key('g/e'))
          expect(names(await tx.getRange(start, end))).toEqual(['g/a', 'g/bb', 'g/c', 'g/e'])
          expect(names(await tx.getRange(start, end, { reverse: true, limit: 3 }))).toEqual([
            'g/e',
            'g/c',
            'g/bb',
          ])
        })
      })
    })

    describe('isolation', () => {
      it('does not show a transaction its peers’ uncommitted writes', async () => {
        let release!: () => void
        const gate = new Promise<void>((resolve) => (release = resolve))
        let wrote!: () => void
        const written = new Promise<void>((resolve) => (wrote = resolve))
        const writer = store.transact(async (tx) => {
          tx.set(key('i/a'), bytes('uncommitted'))
          wrote()
          await gate
        })
        await written
        expect(await read(key('i/a'))).toBeUndefined()
        release()
        await writer
        expect(await read(key('i/a'))).toBe('uncommitted')
      })

      it('reads from one snapshot, and retries a writer whose reads changed before its commit', async () => {
        await write(key('s/a'), 'v1')
        const other = await handle.openAnother()
        const seen: Array<string | undefined> = []
        try {
          await store.transact(async (tx) => {
            const first = text(await tx.get(key('s/a')))
            if (seen.length === 0)
              await other.transact(bodyOf((o) => o.set(key('s/a'), bytes('v2'))))
            const second = text(await tx.get(key('s/a')))
            seen.push(`${first}/${second}`)
            tx.set(key('s/b'), bytes(`from ${second}`))
          })
        } finally {
          await other.close()
        }
        expect(seen).toEqual(['v1/v1', 'v2/v2'])
        expect(await read(key('s/b'))).toBe('from v2')
      })

      it('loses no increment when two processes each add 1,000 to one counter', async () => {
        const readThroughNewHandle = async (): Promise<string | undefined> => {
          const other = await handle.openAnother()
          try {
            return await other.transact(async (tx) => text(await tx.get(key('counter'))))
          } finally {
            await other.close()
          }
        }
        const counter = key('counter').toString('hex')
        const children = [child('increment', counter, '1000'), child('increment', counter, '1000')]
        await within(
          Promise.all(children.map((c) => c.exited)),
          50_000,
          'the incrementing children',
        )
        const total = await read(key('counter'))
        // A short total has two causes that need different fixes: a lost increment (a new
        // handle reads the same) or a stale read by this long-lived handle (a new one reads 2000).
        const throughNewHandle = total === '2000' ? total : await readThroughNewHandle()
        expect({ total, throughNewHandle }).toEqual({ total: '2000', throughNewHandle: '2000' })
      }, 60_000)
    })

    describe('versionstamps', () => {
      it('stamps each commit with a strictly greater 10-byte versionstamp', async () => {
        const stamps: Buffer[] = []
        for (let i = 0; i < 5; i++) {
          let stamp!: Promise<Uint8Array>
          await store.transact(
            bodyOf((tx) => {
              tx.setVersionstampedValue(
                key(`v/${i}`),
                Buffer.concat([bytes('v:'), Buffer.alloc(10)]),
                2,
              )
              stamp = tx.getVersionstamp()
            }),
          )
          const got = Buffer.from(await stamp)
          expect(got.length).toBe(10)
          const stored = await store.transact((tx) => tx.get(key(`v/${i}`)))
          expect(Buffer.from(stored!).subarray(2).equals(got)).toBe(true)
          expect(Buffer.from(stored!).subarray(0, 2).toString()).toBe('v:')
          stamps.push(got)
        }
        for (let i = 1; i < stamps.length; i++)
          expect(Buffer.compare(stamps[i - 1]!, stamps[i]!)).toBe(-1)
      })

      it('writes a versionstamped key at the commit, ordered by commit, one per transaction write', async () => {
        const at = (i: number): Buffer =>
          Buffer.concat([key('vk/'), Buffer.alloc(10), bytes(`/${i}`)])
        const offset = key('vk/').length
        const stamps: Buffer[] = []
        for (let round = 0; round < 2; round++) {
          let stamp!: Promise<Uint8Array>
          await store.transact(
            bodyOf((tx) => {
              tx.setVersionstampedKey(at(0), bytes(`r${round}a`), offset)
              tx.setVersionstampedKey(at(1), bytes(`r${round}b`), offset)
              stamp = tx.getVersionstamp()
            }),
          )
          stamps.push(Buffer.from(await stamp))
        }
        const found = await store.transact((tx) => tx.getRange(key('vk/'), key('vk0')))
        expect(found.map((e) => [Buffer.from(e.key), Buffer.from(e.value).toString()])).toEqual([
          [Buffer.concat([key('vk/'), stamps[0]!, bytes('/0')]), 'r0a'],
          [Buffer.concat([key('vk/'), stamps[0]!, bytes('/1')]), 'r0b'],
          [Buffer.concat([key('vk/'), stamps[1]!, bytes('/0')]), 'r1a'],
          [Buffer.concat([key('vk/'), stamps[1]!, bytes('/1')]), 'r1b'],
        ])
        // Its final key is unknown before the commit: a range that may hold it is refused.
        await expect(
          store.transact(async (tx) => {
            tx.setVersionstampedKey(at(2), bytes('x'), offset)
            return tx.getRange(key('vk/'), key('vk0'))
          }),
        ).rejects.toThrow()
      })

      it('has no versionstamp for a transaction that wrote nothing', async () => {
        let stamp!: Promise<Uint8Array>
        await store.transact(async (tx) => {
          await tx.get(key('nothing'))
          stamp = tx.getVersionstamp()
        })
        await expect(stamp).rejects.toThrow()
      })
    })

    describe('watches', () => {
      const armed = (k: Buffer, body?: (tx: KvTransaction) => void) =>
        store.transact(async (tx) => {
          await tx.get(k)
          body?.(tx)
          return tx.watch(k)
        })

      it('fires after another process commits a change', async () => {
        await write(key('w/a'), 'before')
        const watch = await armed(key('w/a'))
        if (!(await pendingUnlessFaults(watch.changed))) return
        await child('set', key('w/a').toString('hex'), bytes('after').toString('hex')).exited
        expect(await within(watch.changed, 5000, 'the watch')).toBe(true)
      })

      it('fires in another process after a commit here', async () => {
        const watcher = child('watch', key('w/b').toString('hex'))
        await within(watcher.line('armed'), 20_000, 'the child to arm its watch')
        await write(key('w/b'), 'changed')
        expect(await within(watcher.line('fired'), 5000, 'the child watch')).toBe('fired true')
        await watcher.exited
      })

      it('fires when the key is cleared, alone or in a range', async () => {
        await write(key('w/c'), 'x')
        await write(key('w/d'), 'x')
        const [single, ranged] = [await armed(key('w/c')), await armed(key('w/d'))]
        await store.transact(bodyOf((tx) => tx.clear(key('w/c'))))
        expect(await within(single.changed, 5000, 'the watch on a cleared key')).toBe(true)
        await store.transact(bodyOf((tx) => tx.clearRange(key('w/d'), key('w/e'))))
        expect(await within(ranged.changed, 5000, 'the watch on a range-cleared key')).toBe(true)
      })

      it('fires the watches a cleared range covers, from its start up to (not including) its end', async () => {
        const names = ['r/b', 'r/c', 'r/c/1', 'r/d', 'r/e']
        for (const name of names) await write(key(name), 'x')
        const [before, first, inside, last, end] = await Promise.all(
          names.map((name) => armed(key(name))),
        )
        await store.transact(bodyOf((tx) => tx.clearRange(key('r/c'), key('r/e'))))
        for (const [watch, what] of [
          [first, 'the range’s first key'],
          [inside, 'a key inside the range'],
          [last, 'the range’s last key'],
        ] as const) {
          expect(await within(watch!.changed, 5000, `the watch on ${what}`)).toBe(true)
        }
        if (!(await pendingUnlessFaults(before!.changed))) return
        if (!(await pendingUnlessFaults(end!.changed))) return
        // Still armed: they fire on their own key's next change.
        await write(key('r/e'), 'y')
        expect(await within(end!.changed, 5000, 'the watch on the range’s end')).toBe(true)
      })

      it('does not fire for a cleared range that covers no watched key', async () => {
        await write(key('n/head'), 'x')
        await write(key('n/next'), 'x')
        const [head, next] = [await armed(key('n/head')), await armed(key('n/next'))]
        // A record write's chunk clear (docs/data-layout.md): the range right after a key.
        const chunks = (k: Buffer) =>
          [Buffer.concat([k, Buffer.of(0)]), Buffer.concat([k, Buffer.of(0xff)])] as const
        await store.transact(bodyOf((tx) => tx.clearRange(...chunks(key('n/head')))))
        await store.transact(bodyOf((tx) => tx.clearRange(key('n/i'), key('n/m'))))
        if (!(await pendingUnlessFaults(head.changed))) return
        if (!(await pendingUnlessFaults(next.changed))) return
        await write(key('n/head'), 'y')
        expect(await within(head.changed, 5000, 'the watch on the written key')).toBe(true)
        if (!(await pendingUnlessFaults(next.changed))) return
        next.cancel()
      })

      it('does not fire for a write of its own transaction, but for later ones', async () => {
        const watch = await armed(key('w/own'), (tx) => tx.set(key('w/own'), bytes('mine')))
        if (!(await pendingUnlessFaults(watch.changed))) return
        await write(key('w/own'), 'theirs')
        expect(await within(watch.changed, 5000, 'the watch')).toBe(true)
      })

      it('becomes active only when its transaction commits', async () => {
        await write(key('w/late'), 'v1')
        const other = await handle.openAnother()
        try {
          const watch = await store.transact(async (tx) => {
            await tx.get(key('w/late'))
            const w = tx.watch(key('w/late'))
            await other.transact(bodyOf((o) => o.set(key('w/late'), bytes('v2'))))
            expect(await hasSettled(w.changed)).toBe(false)
            return w
          })
          // It saw v1; v2 committed after its read, so it fires once active.
          expect(await within(watch.changed, 5000, 'the watch')).toBe(true)
        } finally {
          await other.close()
        }
      })

      it('fires once active for a range clear committed after its read', async () => {
        await write(key('w/gone'), 'v1')
        await write(key('w/go-flag'), 'v1')
        const flag = await armed(key('w/go-flag'))
        const other = await handle.openAnother()
        try {
          const watch = await store.transact(async (tx) => {
            await tx.get(key('w/gone'))
            const w = tx.watch(key('w/gone'))
            await other.transact(bodyOf((o) => o.clearRange(key('w/go'), key('w/gp'))))
            // This handle has seen the clear (the flag fired) before `w` becomes active.
            expect(await within(flag.changed, 5000, 'the flag')).toBe(true)
            return w
          })
          expect(await within(watch.changed, 5000, 'the watch')).toBe(true)
        } finally {
          await other.close()
        }
      })

      it('resolves false when its transaction fails or is retried', async () => {
        let thrown!: Promise<boolean>
        await expect(
          store.transact(
            bodyOf((tx) => {
              thrown = tx.watch(key('w/fail')).changed
              throw new Error('no commit')
            }),
          ),
        ).rejects.toThrow('no commit')
        expect(await within(thrown, 5000, 'the failed watch')).toBe(false)

        const other = await handle.openAnother()
        const watches: Array<Promise<boolean>> = []
        try {
          await store.transact(async (tx) => {
            await tx.get(key('w/retry'))
            watches.push(tx.watch(key('w/retry')).changed)
            if (watches.length === 1)
              await other.transact(bodyOf((o) => o.set(key('w/retry'), bytes('conflict'))))
            tx.set(key('w/retry-out'), bytes('x'))
          })
        } finally {
          await other.close()
        }
        // Two attempts, or more when faults are injected (the test double's fault mode
        // adds conflicts and too-old reads): every attempt but the committed one is retried.
        expect(watches.length).toBeGreaterThanOrEqual(2)
        const committed = watches.at(-1)!
        for (const retried of watches.slice(0, -1)) {
          expect(await within(retried, 5000, 'the retried attempt’s watch')).toBe(false)
        }
        if (!(await pendingUnlessFaults(committed))) return
        await write(key('w/retry'), 'later')
        expect(await within(committed, 5000, 'the committed attempt’s watch')).toBe(true)
      })

      it('resolves false when cancelled', async () => {
        const watch = await armed(key('w/cancel'))
        watch.cancel()
        watch.cancel()
        expect(await within(watch.changed, 5000, 'the cancelled watch')).toBe(false)
        await write(key('w/cancel'), 'x')
        expect(await watch.changed).toBe(false)
      })

      it('resolves false on close, after which the store rejects with store_closed', async () => {
        const other = await handle.openAnother()
        const watch = await other.transact(bodyOf((tx) => tx.watch(key('w/close'))))
        await other.close()
        await other.close()
        expect(await within(watch.changed, 5000, 'the watch of a closed store')).toBe(false)
        const error: unknown = await other
          .transact((tx) => tx.get(key('w/close')))
          .catch((e: unknown) => e)
        expect(isSyncError(error, 'store_closed')).toBe(true)
        await expect(other.ping()).rejects.toThrow()
      })
    })
  })
}
