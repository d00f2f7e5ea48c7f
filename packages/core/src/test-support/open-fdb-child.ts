/**
 * Opens the FoundationDB store in a process of its own and prints how it went as one JSON
 * line: `{"opened":true}` or `{"code","message","hasCause"}`. The test of the missing
 * library runs it with LD_LIBRARY_PATH cleared, so the test double's libfdb_c is not found.
 */
import { openFdbStore } from '../kv/fdb-store.js'

try {
  const store = await openFdbStore({})
  await store.close()
  console.log(JSON.stringify({ opened: true }))
} catch (error) {
  const e = error as Error & { code?: string }
  console.log(
    JSON.stringify({ code: e.code, message: e.message, hasCause: e.cause instanceof Error }),
  )
}
process.exit(0)
