#!/usr/bin/env node
/**
 * `fdb-live`: the gateway and the record commands. Runs from the build
 * (`node dist/cli.js`) or from source
 * (`node --conditions=@fdb-live/source --import tsx packages/gateway/src/cli.ts`).
 */
import { runCli } from './cli/program.js'

await runCli(process.argv.slice(2))
