/**
 * The FoundationDB store's retry loop: the binding's `doTn` loop, plus what it cannot do,
 * telling whether a commit with an unknown outcome landed (fdb-commit-marker.ts).
 *
 *   attempt ──body──▶ commit ──ok──────────────────────────────▶ result of this attempt
 *      ▲                │
 *      │                ├─ 1021 / 1031: "unsure" ─▶ next attempt reads the marker first:
 *      │                │                            present → result of the unsure attempt
 *      │                │                            absent  → run the body again
 *      └── on_error ◀───┴─ retryable error (FoundationDB's on_error: backoff, limits)
 *
 * When on_error gives up (retry limit, timeout) while an attempt is unsure, one last,
 * separate transaction reads the marker; if it cannot tell, the caller gets
 * `commit_unknown` rather than a guess.
 */
import type { Database, Transaction } from 'foundationdb'
import { SyncError } from '../errors.js'
import { clearOldMarkers, newMarkerKey, readMarker, writeMarker } from './fdb-commit-marker.js'
import { FDB_ERROR, fdbErrorToSyncError, isFdbError } from './fdb-errors.js'
import { FdbKvTransaction } from './fdb-transaction.js'
import type { WatchRegistry } from './fdb-watch.js'
import type { KvTransaction } from './store.js'

export interface FdbTransactOptions {
  maxRetries: number
  timeoutMs: number
  closed: () => boolean
}

interface Unsure<T> {
  attempt: FdbKvTransaction
  result: T
}

const isUnknownOutcome = (code: number): boolean =>
  code === FDB_ERROR.commit_unknown_result || code === FDB_ERROR.transaction_timed_out

export async function fdbTransact<T>(
  db: Database,
  registry: WatchRegistry,
  body: (tx: KvTransaction) => Promise<T>,
  options: FdbTransactOptions,
): Promise<T> {
  const { maxRetries, timeoutMs } = options
  // retry_limit and timeout are FoundationDB's own: on_error gives up after that many
  // retries, and the timeout counts from the first attempt, across retries.
  const tn = db.rawCreateTransaction({ retry_limit: maxRetries, timeout: timeoutMs })
  const marker = newMarkerKey()
  let unsure: Unsure<T> | undefined
  for (;;) {
    const attempt = new FdbKvTransaction(tn, registry)
    let committing: { result: T } | undefined // set once the body has returned
    try {
      if (unsure) {
        const stamp = await readMarker(tn, marker)
        if (stamp) return landed(unsure, stamp, attempt)
        unsure.attempt.abandon()
        unsure = undefined
      }
      const result = await body(attempt)
      const stamp = attempt.wrote ? stampOf(tn, marker) : undefined
      committing = { result }
      await tn.rawCommit()
      attempt.committed(stamp && (await stamp))
      return result
    } catch (error) {
      if (!isFdbError(error)) {
        attempt.abandon()
        throw error
      }
      if (committing && attempt.wrote && isUnknownOutcome(error.code)) {
        unsure?.attempt.abandon()
        unsure = { attempt, result: committing.result }
      } else {
        attempt.abandon()
      }
      try {
        await tn.rawOnError(error.code)
      } catch (final) {
        if (unsure) return settleUnsure(db, marker, unsure, final)
        throw fdbErrorToSyncError(final, {
          operation: 'transaction',
          maxRetries,
          timeoutMs,
          closed: options.closed(),
        })
      }
    }
  }
}

function stampOf(tn: Transaction, marker: Buffer): Promise<Buffer> {
  writeMarker(tn, marker)
  // `{ promise }`: the binding keeps it from being awaited inside the body by accident.
  return tn.getVersionstamp().promise
}

function landed<T>(unsure: Unsure<T>, stamp: Buffer, reader: FdbKvTransaction): T {
  reader.abandon()
  unsure.attempt.committed(stamp)
  return unsure.result
}

/** on_error gave up with an attempt unsure: ask once more, in a transaction of its own. */
async function settleUnsure<T>(
  db: Database,
  marker: Buffer,
  unsure: Unsure<T>,
  final: unknown,
): Promise<T> {
  const stamp = await db
    .doTn((tn) => readMarker(tn, marker), { timeout: 2000, retry_limit: 5 })
    .catch(() => undefined)
  if (stamp) {
    unsure.attempt.committed(stamp)
    return unsure.result
  }
  const reason = new SyncError(
    'commit_unknown',
    'FoundationDB could not confirm whether this transaction committed ' +
      `(${final instanceof Error ? final.message : String(final)}); it may have. ` +
      'Read the data again before retrying a write that must not happen twice.',
    { cause: final },
  )
  unsure.attempt.abandon(reason)
  throw reason
}

/** Sweeps old markers now and then; any error is ignored (the next sweep gets them). */
export function sweepMarkers(db: Database): Promise<void> {
  return db
    .doTn((tn) => Promise.resolve(clearOldMarkers(tn)), { timeout: 2000 })
    .then(
      () => undefined,
      () => undefined,
    )
}
