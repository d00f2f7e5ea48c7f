import type { RootDatabase, Transaction } from 'lmdb'

/**
 * Hands out LMDB read snapshots to transactions. A transaction must see every commit
 * that finished (in any process) before it started, so each one gets a renewed snapshot,
 * except that transactions started in the same synchronous run share one: LMDB's reader
 * slots are a fixed table shared by every process (see `maxReaders` in lmdb-env.ts), and
 * a burst of thousands of transactions must not take one slot each. Sharing within a run
 * is safe because nothing from outside can be observed in the middle of it.
 */
export class SnapshotSource {
  private fresh = false

  constructor(private readonly root: RootDatabase) {}

  /** A snapshot no older than the current synchronous run; call `done()` on it after use. */
  take(): Transaction {
    if (!this.fresh) {
      // lmdb-js would otherwise keep one snapshot until its next timer tick.
      this.root.resetReadTxn()
      this.fresh = true
      queueMicrotask(() => (this.fresh = false))
    }
    return this.root.useReadTransaction()
  }
}
