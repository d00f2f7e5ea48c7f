/**
 * `pnpm change-quote "Captain America" "I can do this all day."`: the seed's
 * `ChangeFavoriteQuote.to/3` as a separate writer process. It writes straight to the store
 * through `@fdb-live/core` (not through the API server): the data directory, or with
 * `--store fdb` (or `FDB_LIVE_STORE=fdb`) the FoundationDB cluster of `--cluster-file` /
 * `FDB_CLUSTER_FILE`. Every open page updates because the gateway's watch fires.
 */
import { changeFavoriteQuote } from '../src/quote-schema.js'
import { runQuoteCommand } from './quote-command.js'

await runQuoteCommand({
  name: 'change-quote',
  async write(tenant, { author, content }) {
    const { version } = await changeFavoriteQuote(tenant, author, content)
    return `Changed the favorite quote to "${content}" - ${author} (version ${version}).`
  },
})
