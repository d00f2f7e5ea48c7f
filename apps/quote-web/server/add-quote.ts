/**
 * `pnpm add-quote "Yoda" "Do. Or do not. There is no try."`: adds a quote to "All quotes"
 * as a separate writer process. It writes straight to the store
 * through `@fdb-live/core` (not through the API server): the data directory, or with
 * `--store fdb` (or `FDB_LIVE_STORE=fdb`) the FoundationDB cluster of `--cluster-file` /
 * `FDB_CLUSTER_FILE`. Every open page updates because the gateway's watch fires.
 */
import { parseArgs } from 'node:util'
import { createRepo, isSyncError } from '@fdb-live/core'
import { QUOTE_TENANT, addQuote } from '../src/quote-schema.js'
import { DEMO_STORE_OPTIONS, openDemoStore } from './demo-store.js'
import { parseQuoteInput } from './quote-input.js'

const USAGE =
  'Usage: pnpm add-quote "<author>" "<content>" [--store embedded|fdb] [--data-dir DIR] [--cluster-file FILE]'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { ...DEMO_STORE_OPTIONS, help: { type: 'boolean', short: 'h' } },
})
if (values.help === true) {
  console.log(USAGE)
  process.exit(0)
}
if (positionals.length !== 2) {
  console.error(
    `add-quote: expected an author and a quote, got ${positionals.length} argument(s).\n${USAGE}`,
  )
  process.exit(2)
}

try {
  const input = parseQuoteInput({ author: positionals[0], content: positionals[1] })
  const store = await openDemoStore({
    store: values.store,
    dataDir: values['data-dir'],
    clusterFile: values['cluster-file'],
  })
  try {
    const { id, version } = await addQuote(
      createRepo(store).tenant(QUOTE_TENANT),
      input.author,
      input.content,
    )
    console.log(`Added "${input.content}" - ${input.author} as ${id} (version ${version}).`)
  } finally {
    await store.close()
  }
} catch (error) {
  console.error(`add-quote: ${isSyncError(error) ? error.message : String(error)}`)
  process.exit(1)
}
