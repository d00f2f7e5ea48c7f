#!/usr/bin/env node
// `pnpm change-quote "Captain America" "I can do this all day."`: changes the favorite
// quote by writing straight to the data directory (FDB_LIVE_DATA_DIR, default
// ./.fdb-live/data) through @fdb-live/core, as a separate writer process. Every open page
// updates through the gateway. The work is in apps/quote-web/server/change-quote.ts.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dataDir = path.resolve(process.env.FDB_LIVE_DATA_DIR ?? path.join(root, '.fdb-live', 'data'))

const child = spawn(
  process.execPath,
  [
    '--conditions=@fdb-live/source',
    '--import',
    'tsx',
    'apps/quote-web/server/change-quote.ts',
    '--data-dir',
    dataDir,
    '--',
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit' },
)
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)))
