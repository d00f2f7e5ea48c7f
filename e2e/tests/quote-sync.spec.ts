import { test } from '../support/fixtures.js'
import { quoteScenarios } from '../support/quote-scenarios.js'

// The demo on its default, embedded store. One stack for the whole file.
test.describe.configure({ mode: 'serial' })

for (const { title, body } of quoteScenarios) test(title, body)
