import { Command } from 'commander'
import { SyncError, assertId, defineSchema, type Repo } from '@fdb-live/core'
import { addStoreOptions, type StoreFlags } from './options.js'

/** Runs `body` with a repo over the store the flags name, and closes the store after. */
export type WithRepo = (flags: StoreFlags, body: (repo: Repo) => Promise<void>) => Promise<void>

/** `get`, `put`, `delete`, `watch` (one record at a time) and `epoch`: JSON lines on stdout. */
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
    .action(
      (
        tenant: string,
        schema: string,
        id: string,
        json: string | undefined,
        flags: StoreFlags,
        command: Command,
      ) =>
        withRepo(flags, async (repo) => {
          const tenantRepo = repo.tenant(tenant)
          const recordSchema = defineSchema(schema)
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
    .action((tenant: string, schema: string, id: string, flags: StoreFlags) =>
      withRepo(flags, async (repo) => {
        const result = await repo.tenant(tenant).delete(defineSchema(schema), checkId(id))
        printLine(
          result === null ? { id, deleted: false } : { id, deleted: true, version: result.version },
        )
      }),
    )

  const watch = new Command('watch')
    .description('print the record, then every change, as one JSON line each, until Ctrl-C')
    .argument('<tenant>')
    .argument('<schema>')
    .argument('<id>')
    .action((tenant: string, schema: string, id: string, flags: StoreFlags) =>
      withRepo(flags, async (repo) => {
        const tenantRepo = repo.tenant(tenant)
        const recordSchema = defineSchema(schema)
        checkId(id)
        const stop = new AbortController()
        const onSignal = (): void => stop.abort()
        process.once('SIGINT', onSignal)
        process.once('SIGTERM', onSignal)
        try {
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

  return [get, put, del, watch, epoch].map((command) => addStoreOptions(command))
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
