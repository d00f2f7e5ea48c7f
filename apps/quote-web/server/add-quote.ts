/**
 * `pnpm add-quote "Yoda" "Do. Or do not. There is no try."`: adds a quote to "All quotes"
 * as a separate writer process. It writes straight to the store
 * through `@fdb-live/core` (not through the API server): the data directory, or with
 * `--store fdb` (or `FDB_LIVE_STORE=fdb`) the FoundationDB cluster of `--cluster-file` /
 * `FDB_CLUSTER_FILE`. Every open page updates because the gateway's watch fires.
 */
import { addQuote } from '../src/quote-schema.js'
import { runQuoteCommand } from './quote-command.js'

await runQuoteCommand({
  name: 'add-quote',
  async write(tenant, { author, content }) {
    const { id, version } = await addQuote(tenant, author, content)
    return `Added "${content}" - ${author} as ${id} (version ${version}).`
  },
})
