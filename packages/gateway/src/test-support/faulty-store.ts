import { SyncError, type KvStore, type KvTransaction, type SyncErrorCode } from '@fdb-live/core'

/** A real store with faults injected on demand, for the gateway's tests. */
export interface FaultyStoreForTesting extends KvStore {
  /** The next `count` transactions reject with `code` before their body runs. */
  failTransactions(count: number, code?: SyncErrorCode): void
  /**
   * The next `count` reads of a key that `mentions` (its bytes contain that text, e.g. a
   * record id) throw `code`, failing their transaction.
   */
  failReads(count: number, mentions: string, code?: SyncErrorCode): void
  /** The next `count` watches registered reject with `code` instead of firing. */
  failWatches(count: number, code?: SyncErrorCode): void
  /** Runs once, inside the next transaction, right after its first read. */
  afterNextRead(hook: () => Promise<void>): void
  /** `ping()` rejects with `code` while set. */
  pingFailure: SyncErrorCode | undefined
}

/** Wraps any {@link KvStore}; without injected faults it behaves exactly as `store`. */
export function faultyStoreForTesting(store: KvStore): FaultyStoreForTesting {
  let failTx: { count: number; code: SyncErrorCode } = { count: 0, code: 'store_unavailable' }
  let failWatch: { count: number; code: SyncErrorCode } = { count: 0, code: 'store_unavailable' }
  let failRead = { count: 0, mentions: Buffer.alloc(0), code: 'store_unavailable' as SyncErrorCode }
  let readHook: (() => Promise<void>) | undefined
  const injected = (code: SyncErrorCode) => new SyncError(code, 'injected fault')

  const wrapTx = (tx: KvTransaction): KvTransaction => ({
    get: async (key) => {
      if (failRead.count > 0 && Buffer.from(key).includes(failRead.mentions)) {
        failRead.count -= 1
        throw injected(failRead.code)
      }
      const value = await tx.get(key)
      const hook = readHook
      readHook = undefined
      await hook?.()
      return value
    },
    getRange: (start, end, options) => tx.getRange(start, end, options),
    set: (key, value) => tx.set(key, value),
    clear: (key) => tx.clear(key),
    clearRange: (start, end) => tx.clearRange(start, end),
    setVersionstampedValue: (key, value, offset) => tx.setVersionstampedValue(key, value, offset),
    setVersionstampedKey: (key, value, offset) => tx.setVersionstampedKey(key, value, offset),
    getVersionstamp: () => tx.getVersionstamp(),
    watch: (key) => {
      const watch = tx.watch(key)
      if (failWatch.count === 0) return watch
      failWatch.count -= 1
      watch.cancel()
      const changed = Promise.reject(injected(failWatch.code))
      changed.catch(() => {})
      return { changed, cancel: () => {} }
    },
  })

  const faulty: FaultyStoreForTesting = {
    kind: store.kind,
    pingFailure: undefined,
    transact(body, options) {
      if (failTx.count > 0) {
        failTx.count -= 1
        return Promise.reject(injected(failTx.code))
      }
      return store.transact((tx) => body(wrapTx(tx)), options)
    },
    ping: () =>
      faulty.pingFailure === undefined
        ? store.ping()
        : Promise.reject(injected(faulty.pingFailure)),
    close: () => store.close(),
    failTransactions: (count, code = 'store_unavailable') => (failTx = { count, code }),
    failReads: (count, mentions, code = 'store_unavailable') =>
      (failRead = { count, mentions: Buffer.from(mentions), code }),
    failWatches: (count, code = 'store_unavailable') => (failWatch = { count, code }),
    afterNextRead: (hook) => (readHook = hook),
  }
  return faulty
}
