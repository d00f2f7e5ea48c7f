#!/usr/bin/env node
// `pnpm add-quote "Yoda" "Do. Or do not. There is no try."`: adds a quote to the demo's "All
// quotes" by writing straight to the store through @fdb-live/core, as a separate writer
// process. Every open page shows it through the gateway. The work is in
// apps/quote-web/server/add-quote.ts; the store is chosen as scripts/quote-writer.mjs says.
import { runQuoteWriter } from './quote-writer.mjs'

await runQuoteWriter('add-quote', 'apps/quote-web/server/add-quote.ts', process.argv.slice(2))
