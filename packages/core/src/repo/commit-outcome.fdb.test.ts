/**
 * What the Repo reports when FoundationDB cannot say whether a commit landed
 * (commit_unknown_result 1021, or a timeout during the commit). Needs faults on demand, so
 * it runs on the libfdb_c test double only (its fault mode), never on a real cluster.
 */
import { startFdbDouble, type FdbDouble } from '@fdb-live/fdb-double'
import { afterAll, describe, expect, it } from 'vitest'
import { isSyncError } from '../errors.js'
import { openFdbStore } from '../kv/fdb-store.js'
import type { KvStore } from '../kv/store.js'
import { defineSchema } from '../schema.js'
import { fdbTargetForTesting } from '../test-support/fdb-target.js'
import { createRepo } from './repo.js'

const Doc = defineSchema<{ n: number }>('docs')
const onDouble = process.env['FDB_LIVE_FDB_TARGET'] === 'double'
if (!onDouble) {
  console.log(
    `commit outcome: skipped — needs the test double's fault mode (${fdbTargetForTesting().label})`,
  )
}

/** Every fault off but the named ones. */
const faults = (knobs: string): string =>
  `11,spurious_fire=0,fire_delay_ms=0,unknown_landed=0,unknown_lost=0,inject_conflict=0,` +
  `inject_too_old=0,delay_reply=0,early_too_many_watches=0,pause_every_s=0,${knobs}`

describe.skipIf(!onDouble)('commit outcome on the libfdb_c test double (fault mode)', () => {
  let double: FdbDouble
  let store: KvStore
  const open = async (knobs: string) => {
    await store?.close()
    await double?.stop()
    double = await startFdbDouble({ buggify: faults(knobs) })
    store = await openFdbStore({ clusterFile: double.clusterFile })
    return createRepo(store).tenant('t')
  }
  afterAll(async () => {
    await store?.close()
    await double?.stop()
  })

  it('reports an insert whose commit landed as done, although FoundationDB said "unknown"', async () => {
    const t = await open('unknown_landed=1') // every commit lands, and is reported 1021
    const { version } = await t.insert(Doc, 'a', { n: 1 })
    expect((await t.get(Doc, 'a'))?.version).toBe(version)
    const again: unknown = await t.insert(Doc, 'a', { n: 2 }).catch((e: unknown) => e)
    expect(isSyncError(again, 'already_exists')).toBe(true) // and that one is true
    const deleted = await t.delete(Doc, 'a')
    expect(deleted).not.toBeNull() // not "nothing to delete": it did delete
    expect(await t.get(Doc, 'a')).toBeNull()
  })

  it('says commit_unknown rather than guessing when it cannot confirm', async () => {
    const t = await open('unknown_lost=1') // every commit is lost, and is reported 1021
    const error: unknown = await t
      .transact((tx) => tx.put(Doc, 'b', { n: 1 }), { maxRetries: 2 })
      .catch((e: unknown) => e)
    expect(isSyncError(error, 'commit_unknown')).toBe(true)
    expect(await t.get(Doc, 'b')).toBeNull()
  })

  it('never reports a timeout for a write that landed', async () => {
    // Replies come up to 300 ms late, so commits often land after a 700 ms timeout (a put
    // gets a read version and reads its collection entry first, each up to 300 ms).
    const t = await open('delay_reply=1,delay_reply_ms=300')
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t
          .transact((tx) => tx.put(Doc, `c${i}`, { n: i }), { timeoutMs: 700, maxRetries: 0 })
          .then(
            () => 'ok' as const,
            (e: unknown) => (isSyncError(e) ? e.code : String(e)),
          ),
      ),
    )
    const stored = await Promise.all(
      outcomes.map((_, i) => t.get(Doc, `c${i}`).then((r) => r !== null)),
    )
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome === 'ok') expect(stored[i]).toBe(true)
      // A put reads its collection entries, so a timeout can also come before the commit:
      // then nothing landed, and the timeout says so truthfully.
      else if (outcome === 'transaction_timeout') expect(stored[i]).toBe(false)
      else expect(outcome).toBe('commit_unknown') // a timeout during the commit
    }
    expect(outcomes).toContain('ok')
  })
})
