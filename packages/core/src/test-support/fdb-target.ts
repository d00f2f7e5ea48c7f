/**
 * Which FoundationDB the `*.fdb.test.ts` suites run against, for their names and messages:
 * the libfdb_c test double that vitest's global setup starts (vitest.fdb-setup.ts), or the
 * real cluster named by FDB_CLUSTER_FILE. A result from the double is never reported as
 * FoundationDB's own.
 */
export interface FdbTargetForTesting {
  /** The cluster file, or undefined when neither is available (the suites skip). */
  clusterFile: string | undefined
  /** For suite names: says which of the two the results come from. */
  label: string
}

export function fdbTargetForTesting(): FdbTargetForTesting {
  const clusterFile = process.env['FDB_CLUSTER_FILE']
  if (!clusterFile) {
    return {
      clusterFile,
      label: 'FoundationDB (skipped: no FDB_CLUSTER_FILE and no test double; run through vitest)',
    }
  }
  const onDouble = process.env['FDB_LIVE_FDB_TARGET'] === 'double'
  return {
    clusterFile,
    label: onDouble
      ? 'FoundationDB binding on the libfdb_c test double (not FoundationDB)'
      : `FoundationDB cluster (${clusterFile})`,
  }
}
