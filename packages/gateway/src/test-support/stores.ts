/**
 * The stores every gateway suite runs on: the embedded store, and the FoundationDB store
 * on whatever vitest's global setup provides (the libfdb_c TEST DOUBLE, which is not
 * FoundationDB, or the real cluster named by FDB_CLUSTER_FILE; the suite names say which).
 */
import { randomBytes } from 'node:crypto'
import { describe } from 'vitest'
import type { StoreKind } from '@fdb-live/core'
import { fdbTargetForTesting } from '@fdb-live/core/test-support'

/** Where a test's store lives, so that other processes (writer, CLI) open the same one. */
export type StoreTargetForTesting =
  | { readonly kind: 'embedded'; readonly dataDir: string }
  | {
      readonly kind: 'fdb'
      readonly clusterFile: string
      /**
       * The repo root of this test's records. The cluster is shared by every test file, so
       * each gateway gets a root of its own (what a fresh data directory is for the
       * embedded store): its records and its epoch are its own.
       */
      readonly root: string
    }

/** One store the suites run on. */
export interface StoreUnderTest {
  readonly kind: StoreKind
  /** For suite names, e.g. "embedded store" or "FoundationDB binding on the libfdb_c test double (not FoundationDB)". */
  readonly label: string
  /** The cluster file (`fdb` only; undefined when no cluster is available and the suite skips). */
  readonly clusterFile: string | undefined
}

/** The embedded store, then FoundationDB. */
export function storesForTesting(): StoreUnderTest[] {
  const fdb = fdbTargetForTesting()
  return [
    { kind: 'embedded', label: 'embedded store', clusterFile: undefined },
    { kind: 'fdb', label: `fdb store: ${fdb.label}`, clusterFile: fdb.clusterFile },
  ]
}

/**
 * `describe(name)` once per store, the store's label in the suite name. Without a
 * FoundationDB cluster (run outside vitest's global setup) the `fdb` suite is skipped, and
 * its name says why.
 */
export function forEachStore(name: string, body: (store: StoreUnderTest) => void): void {
  for (const store of storesForTesting()) {
    const unavailable = store.kind === 'fdb' && store.clusterFile === undefined
    describe.skipIf(unavailable)(`${name} [${store.label}]`, () => body(store))
  }
}

/**
 * The store a test gateway uses when the test does not say: FDB_LIVE_TEST_STORE=fdb runs a
 * whole vitest project (react-sync's second project) on FoundationDB.
 */
export function defaultStoreForTesting(): StoreKind {
  return process.env['FDB_LIVE_TEST_STORE'] === 'fdb' ? 'fdb' : 'embedded'
}

/** A root of its own for one test's records on a shared FoundationDB cluster. */
export function freshRootForTesting(): string {
  return `fdb-live-test-${randomBytes(6).toString('hex')}`
}

/** The cluster file the suites use, or an error that says how to get one. */
export function clusterFileForTesting(): string {
  const { clusterFile, label } = fdbTargetForTesting()
  if (clusterFile === undefined) throw new Error(`no FoundationDB for this test: ${label}`)
  return clusterFile
}

/** Environment for a child process (writer, CLI) that must open `target`. */
export function storeEnvForTesting(target: StoreTargetForTesting): Record<string, string> {
  return target.kind === 'embedded'
    ? { FDB_LIVE_STORE: 'embedded', FDB_LIVE_DATA_DIR: target.dataDir }
    : { FDB_LIVE_STORE: 'fdb', FDB_CLUSTER_FILE: target.clusterFile, FDB_LIVE_ROOT: target.root }
}
