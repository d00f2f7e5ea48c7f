/**
 * The shell shared by the demo's writer commands (`pnpm change-quote`, `pnpm add-quote`):
 * parse `"<author>" "<content>"` and the store flags, open the demo's store, run one write
 * through `@fdb-live/core` (not through the API server), print what it did, close the store.
 * Bad input exits 2 with the usage; a failed write exits 1 with the store's message.
 */
import { parseArgs } from 'node:util'
import { createRepo, isSyncError, type TenantRepo } from '@fdb-live/core'
import { QUOTE_TENANT } from '../src/quote-schema.js'
import { DEMO_STORE_OPTIONS, openDemoStore } from './demo-store.js'
import { parseQuoteInput } from './quote-input.js'

/** One writer command: its name, and the write it makes (returns the line to print). */
export interface QuoteCommand {
  name: string
  write: (tenant: TenantRepo, input: { author: string; content: string }) => Promise<string>
}

export async function runQuoteCommand({ name, write }: QuoteCommand): Promise<void> {
  const usage = `Usage: pnpm ${name} "<author>" "<content>" [--store embedded|fdb] [--data-dir DIR] [--cluster-file FILE]`
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { ...DEMO_STORE_OPTIONS, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help === true) {
    console.log(usage)
    process.exit(0)
  }
  if (positionals.length !== 2) {
    console.error(
      `${name}: expected an author and a quote, got ${positionals.length} argument(s).\n${usage}`,
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
      console.log(await write(createRepo(store).tenant(QUOTE_TENANT), input))
    } finally {
      await store.close()
    }
  } catch (error) {
    console.error(`${name}: ${isSyncError(error) ? error.message : String(error)}`)
    process.exit(1)
  }
}
