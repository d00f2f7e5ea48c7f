#!/usr/bin/env node
// `pnpm change-quote "Captain America" "I can do this all day."`: changes the favorite
// quote by writing straight to the store through @fdb-live/core, as a separate writer
// process. Every open page updates through the gateway. The work is in
// apps/quote-web/server/change-quote.ts; the store is chosen as scripts/quote-writer.mjs says.
import { runQuoteWriter } from './quote-writer.mjs'

await runQuoteWriter('change-quote', 'apps/quote-web/server/change-quote.ts', process.argv.slice(2))
