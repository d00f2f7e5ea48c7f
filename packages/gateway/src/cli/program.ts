import { Command, type CommanderError } from 'commander'
import { createRepo, isSyncError, toSyncError } from '@fdb-live/core'
import { dataCommands, type WithRepo } from './data-commands.js'
import { gatewayCommand } from './gateway-command.js'
import { openStoreFromFlags } from './options.js'

/** Exit codes: 0 ok, 1 the operation failed, 2 bad flags or arguments. */
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/**
 * The `fdb-live` command line. Every parse error is one line on stderr and exit code 2
 * (`exitOverride`, inherited by every subcommand added below).
 */
export function createProgram(): Command {
  const program = new Command('fdb-live')
    .description('Keep a UI live on FoundationDB data: the gateway and record commands.')
    .showSuggestionAfterError(false)
    .configureOutput({
      outputError: (text, write) => write(`fdb-live: ${text.replace(/^error: /, '')}`),
    })
    .exitOverride((error: CommanderError) => {
      if (error.exitCode === 0) process.exit(0)
      process.exit(EXIT_USAGE)
    })

  const withRepo: WithRepo = async (flags, body) => {
    const store = await openStoreFromFlags(flags)
    try {
      await body(createRepo(store, { root: flags.root }))
    } finally {
      await store.close()
    }
  }
  program.addCommand(inherit(program, gatewayCommand()))
  for (const command of dataCommands(withRepo)) program.addCommand(inherit(program, command))
  return program
}

/** Runs the CLI; errors thrown by a command become one line and an exit code. */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await createProgram().parseAsync([...argv], { from: 'user' })
  } catch (error) {
    const syncError = toSyncError(error)
    process.stderr.write(`fdb-live: ${syncError.code}: ${syncError.message}\n`)
    if (syncError.code === 'internal')
      process.stderr.write(`${String((error as Error).stack ?? error)}\n`)
    const usage = isSyncError(error) && error.httpStatus === 400
    process.exit(usage ? EXIT_USAGE : EXIT_FAILURE)
  }
}

/** `addCommand` does not copy settings as `.command()` does; copy output and exit handling. */
function inherit(program: Command, command: Command): Command {
  command.copyInheritedSettings(program)
  return command
}
