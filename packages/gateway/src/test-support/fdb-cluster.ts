import { createRepo, defineSchema, openStore, type KvStore, type Repo } from '@fdb-live/core'
import { fetchMetrics } from './start-test-gateway.js'

/**
 * The FoundationDB cluster of the `*.fdb.test.ts` suites here (as core's
 * fdbTargetForTesting, whose test-support entry has no types for tsc in this package): the
 * libfdb_c TEST DOUBLE that vitest's global setup starts (not FoundationDB), or the real
 * cluster in FDB_CLUSTER_FILE. `label` says which, for test names.
 */
export function fdbClusterForTesting(): { clusterFile: string | undefined; label: string } {
  const clusterFile = process.env['FDB_CLUSTER_FILE']
  if (!clusterFile)
    return {
      clusterFile,
      label: 'FoundationDB (skipped: FDB_CLUSTER_FILE is not set; run through vitest)',
    }
  return {
    clusterFile,
    label:
      process.env['FDB_LIVE_FDB_TARGET'] === 'double'
        ? 'libfdb_c test double (not FoundationDB)'
        : `FoundationDB cluster (${clusterFile})`,
  }
}

const Quote = defineSchema<{ text: string; n: number }>('quotes')

/** Writes `quotes/<id>` records of one tenant from this process, as a third process would. */
export interface QuoteWriterForTesting extends AsyncDisposable {
  readonly repo: Repo
  /** `{ text: '<id> #<n>', n }` per change, in order, one commit each. */
  write(changes: [id: string, n: number][]): Promise<void>
  /** The current version of each id, by `quotes/<id>`. */
  versions(ids: readonly string[]): Promise<Map<string, string>>
}

export async function openQuoteWriterForTesting(
  clusterFile: string,
  tenant: string,
): Promise<QuoteWriterForTesting> {
  const store: KvStore = await openStore({ kind: 'fdb', clusterFile })
  const repo = createRepo(store)
  const records = repo.tenant(tenant)
  return {
    repo,
    async write(changes) {
      for (const [id, n] of changes) await records.put(Quote, id, { text: `${id} #${n}`, n })
    },
    async versions(ids) {
      const versions = new Map<string, string>()
      for (const id of ids) versions.set(`quotes/${id}`, (await records.get(Quote, id))!.version)
      return versions
    },
    [Symbol.asyncDispose]: () => store.close(),
  }
}

/** A gateway's `fdb_live_gateway_open_streams`. */
export async function openStreamsOf(url: string): Promise<number> {
  return (await fetchMetrics(url)).get('fdb_live_gateway_open_streams') ?? 0
}
