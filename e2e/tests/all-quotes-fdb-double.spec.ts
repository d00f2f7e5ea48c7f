import { test } from '../support/fixtures.js'
import { allQuotesScenarios } from '../support/all-quotes-scenarios.js'

// The same scenarios with the whole demo (gateway, API server, add-quote) on `--store fdb`:
// the real `foundationdb` binding on the libfdb_c TEST DOUBLE (test/fdb-double), which is
// NOT FoundationDB. One stack, one fresh double, for the file.
test.use({ store: 'fdb' })
test.describe.configure({ mode: 'serial' })

test.describe('on the libfdb_c test double (not FoundationDB)', () => {
  for (const { title, body } of allQuotesScenarios) test(title, body)
})
