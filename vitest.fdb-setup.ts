/**
 * Vitest global setup: gives the FoundationDB suites (`*.fdb.test.ts`) a cluster.
 *
 * - FDB_CLUSTER_FILE set by you: a real cluster. The suites run against it with the
 *   machine's libfdb_c, and say so.
 * - Otherwise: the libfdb_c TEST DOUBLE (test/fdb-double, not FoundationDB) is built and its
 *   server started; the real `foundationdb` binding loads the double's libfdb_c.so through
 *   LD_LIBRARY_PATH, which the test workers (new processes) inherit from here.
 */
import { startFdbDouble } from '@fdb-live/fdb-double'

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  // Every vitest project runs this; the first one starts the double and the rest share it.
  if (process.env['FDB_LIVE_FDB_TARGET']) return undefined
  if (process.env['FDB_CLUSTER_FILE']) {
    process.env['FDB_LIVE_FDB_TARGET'] = 'cluster'
    console.log(`FoundationDB suites: the real cluster in ${process.env['FDB_CLUSTER_FILE']}`)
    return undefined
  }
  const double = await startFdbDouble({ buggify: process.env['FDB_DOUBLE_BUGGIFY'] })
  Object.assign(process.env, double.env)
  console.log(
    `FoundationDB suites: on the libfdb_c test double (not FoundationDB), cluster file ${double.clusterFile}` +
      (process.env['FDB_DOUBLE_BUGGIFY']
        ? `, faults on (FDB_DOUBLE_BUGGIFY=${process.env['FDB_DOUBLE_BUGGIFY']})`
        : ''),
  )
  return () => double.stop()
}
