/**
 * A {@link KvWatch} over the binding's `tn.watch(key)` result `{ promise, cancel }`.
 *
 *   created ──(transaction commits)──▶ active ──(key changes)──▶ fired: changed → true
 *      │                                 │
 *      │ transaction fails / retried /   │ cancel() or store.close()
 *      │ its commit's outcome unknown    │
 *      ▼                                 ▼
 *   changed → false                  changed → false
 *
 *   any other FoundationDB error (1007, 1009, 1032, 1039…) → changed rejects with
 *   a SyncError: re-read, re-arm, back off.
 *
 * The binding already resolves `false` for 1101 operation_cancelled, 1025
 * transaction_cancelled and 1020 not_committed. 1021 commit_unknown_result resolves `false`
 * here too: FoundationDB ends a transaction's watches with the error of its commit, so the
 * watch never became active (even when the commit landed): re-read and re-arm, as after 1020. `cancel()` here also settles `changed`
 * at once rather than when the client's network thread gets round to it, so `close()`
 * is deterministic.
 */
import type { Watch } from 'foundationdb'
import type { KvWatch } from './store.js'
import { FDB_ERROR, fdbFailureToSyncError, isFdbError } from './fdb-errors.js'

/** The watches a store has handed out and that have not settled yet. */
export type WatchRegistry = Set<FdbKvWatch>

/** One watch on one key; see the module comment for its states. */
export class FdbKvWatch implements KvWatch {
  readonly changed: Promise<boolean>
  #native: Watch
  #settled = false
  #resolve!: (fired: boolean) => void

  constructor(native: Watch, registry: WatchRegistry) {
    this.#native = native
    this.changed = new Promise<boolean>((resolve, reject) => {
      this.#resolve = (fired) => {
        this.#settle(registry)
        resolve(fired)
      }
      native.promise.then(
        (fired) => this.#resolve(fired),
        (error: unknown) => {
          if (isFdbError(error) && error.code === FDB_ERROR.commit_unknown_result) {
            this.#resolve(false)
            return
          }
          this.#settle(registry)
          reject(fdbFailureToSyncError(error, { operation: 'watch' }))
        },
      )
    })
    // A watch nobody awaits (e.g. from an attempt that was retried) must not crash the
    // process with an unhandled rejection; whoever awaits `changed` still sees the error.
    this.changed.catch(() => undefined)
    registry.add(this)
  }

  cancel(): void {
    if (this.#settled) return
    // Safe after the future resolved too: the binding ignores a cancel then.
    this.#native.cancel()
    this.#resolve(false)
  }

  #settle(registry: WatchRegistry): void {
    this.#settled = true
    registry.delete(this)
  }
}
