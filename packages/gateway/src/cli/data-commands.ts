import { Command } from 'commander'
import { SyncError, assertId, defineSchema, type Repo } from '@fdb-live/core'
import {
  INDEX_OPTION,
  listCommand,
  parseWhereFlag,
  schemaWithIndexes,
  watchCollectionLines,
  type IndexFlags,
} from './list-commands.js'
import { addStoreOptions, type StoreFlags } from './options.js'

/** Runs `body` with a repo over the store the flags name, and closes the store after. */
export type WithRepo = (flags: StoreFlags, body: (repo: Repo) => Promise<void>) => Promise<void>

/**
 * `get`, `put`, `delete`, `watch` (a record, or a collection without an id), `list` and
 * `epoch`: JSON lines on stdout.
 */
export function dataCommands(withRepo: WithRepo): Command[] {
  const get = new Command('get')
    .description('print a record as {"id","version","value"}')
    .argument('<tenant>')
    .argument('<schema>')
    .argument('<id>')
    .action((tenant: string, schema: string, id: string, flags: StoreFlags) =>
      withRepo(flags, async (repo) => {
        const record = await repo.tenant(tenant).get(defineSchema(schema), checkId(id))
        if (record === null)
          throw new SyncError('not_found', `No record ${schema}/${id} in tenant ${tenant}.`)
        printLine({ id: record.id, version: record.version, value: record.value })
      }),
    )

  const put = new Command('put')
    .description('create or replace a record; the JSON value is the argument or stdin')
    .argument('<tenant>')
    .argument('<schema>')
    .argument('<id>')
    .argument('[json]')
    .option(...INDEX_OPTION)
    .action(
      (
        tenant: string,
        schema: string,
        id: string,
        json: string | undefined,
        flags: StoreFlags & IndexFlags,
        command: Command,
      ) =>
        withRepo(flags, async (repo) => {
          const tenantRepo = repo.tenant(tenant)
          const recordSchema = schemaWithIndexes(schema, flags.index)
          checkId(id)
          const text = json ?? (process.stdin.isTTY ? undefined : await readStdin())
          if (text === undefined)
            command.error('put needs the JSON value as an argument or on stdin.', { exitCode: 2 })
          const value = parseJson(text, command)
          const { version } = await tenantRepo.put(recordSchema, id, value)
          printLine({ id, version })
        }),
    )

  const del = new Command('delete')
    .description('delete a record (its version moves on, watchers see value: null)')
    .argument('<tenant>')
    .argument('<schema>')
    .argument('<id>')
    .option(...INDEX_OPTION)
    .action((tenant: string, schema: string, id: string, flags: StoreFlags & IndexFlags) =>
      withRepo(flags, async (repo) => {
        const recordSchema = schemaWithIndexes(schema, flags.index)
        const result = await repo.tenant(tenant).delete(recordSchema, checkId(id))
        printLine(
          result === null ? { id, deleted: false } : { id, deleted: true, version: result.version },
        )
      }),
    )

  const watch = new Command('watch')
    .description(
      'print the record (or, without an id, every member of the collection), then every change, as one JSON line each, until Ctrl-C',
    )
    .argument('<tenant>')
    .argument('<schema>')
    .argument('[id]')
    .option('--where <index=value>', 'without an id: one value of a declared index (a string)')
    .action(
      (
        tenant: string,
        schema: string,
        id: string | undefined,
        flags: StoreFlags & { where?: string },
      ) =>
        withRepo(flags, async (repo) => {
          const tenantRepo = repo.tenant(tenant)
          const recordSchema = defineSchema(schema)
          if (id !== undefined && flags.where !== undefined) {
            throw new SyncError(
              'invalid_request',
              'watch: give an id (a record) or --where (a collection), not both.',
            )
          }
          const where = parseWhereFlag(flags.where)
          if (id !== undefined) checkId(id)
          const stop = new AbortController()
          const onSignal = (): void => stop.abort()
          process.once('SIGINT', onSignal)
          process.once('SIGTERM', onSignal)
          try {
            if (id === undefined) {
              await watchCollectionLines(tenantRepo, recordSchema, where, stop.signal, printLine)
              return
            }
            for await (const state of tenantRepo.watch(recordSchema, id, { signal: stop.signal })) {
              printLine({ schema, id: state.id, version: state.version, value: state.value })
            }
          } finally {
            process.off('SIGINT', onSignal)
            process.off('SIGTERM', onSignal)
          }
        }),
    )

  const epoch = new Command('epoch')
    .description(
      "print the store's epoch; --new replaces it (after restoring a backup: clients then drop their versions)",
    )
    .option('--new', 'write a new epoch')
    .action((flags: StoreFlags & { new?: boolean }) =>
      withRepo(flags, async (repo) => {
        printLine({ epoch: await (flags.new === true ? repo.newEpoch() : repo.epoch()) })
      }),
    )

  const list = listCommand(withRepo, printLine)
  return [get, put, del, watch, list, epoch].map((command) => addStoreOptions(command))
}

function checkId(id: string): string {
  assertId(id)
  return id
}

function parseJson(text: string, command: Command): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return command.error(`put: the value is not JSON (${reason}).`, { exitCode: 2 })
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function printLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}
