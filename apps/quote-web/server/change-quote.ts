/**
 * `pnpm change-quote "Captain America" "I can do this all day."`: the seed's
 * `ChangeFavoriteQuote.to/3` as a separate writer process. It writes straight to the data
 * directory through `@fdb-live/core` (not through the API server), and every open page
 * updates because the gateway's watch fires.
 */
import { parseArgs } from 'node:util'
import { createRepo, isSyncError, openStore } from '@fdb-live/core'
import { QUOTE_TENANT, changeFavoriteQuote } from '../src/quote-schema.js'
import { parseQuoteInput } from './quote-input.js'

const USAGE = 'Usage: pnpm change-quote "<author>" "<content>" [--data-dir DIR]'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
})
if (values.help === true) {
  console.log(USAGE)
  process.exit(0)
}
if (positionals.length !== 2) {
  console.error(
    `change-quote: expected an author and a quote, got ${positionals.length} argument(s).\n${USAGE}`,
  )
  process.exit(2)
}

try {
  const input = parseQuoteInput({ author: positionals[0], content: positionals[1] })
  const store = await openStore({
    kind: 'embedded',
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
  })
  try {
    const { version } = await changeFavoriteQuote(
      createRepo(store).tenant(QUOTE_TENANT),
      input.author,
      input.content,
    )
    console.log(
      `Changed the favorite quote to "${input.content}" - ${input.author} (version ${version}).`,
    )
  } finally {
    await store.close()
  }
} catch (error) {
  console.error(`change-quote: ${isSyncError(error) ? error.message : String(error)}`)
  process.exit(1)
}
