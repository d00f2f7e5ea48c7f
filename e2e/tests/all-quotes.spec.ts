import { test } from '../support/fixtures.js'
import { allQuotesScenarios } from '../support/all-quotes-scenarios.js'

// "All quotes" on the demo's default, embedded store. One stack for the whole file.
test.describe.configure({ mode: 'serial' })

for (const { title, body } of allQuotesScenarios) test(title, body)
