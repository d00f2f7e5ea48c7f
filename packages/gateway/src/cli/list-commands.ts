import { Command } from 'commander'
import {
  STORE_BACKOFF,
  SyncError,
  backoffDelayMs,
  defineSchema,
  parseWhere,
  retrying,
  wait,
  type IndexMatch,
  type Schema,
  type TenantRepo,
  type Version,
} from '@fdb-live/core'
import type { WithRepo } from './data-commands.js'
import type { StoreFlags } from './options.js'

/** `--index <name>=<field>` on put and delete (repeatable). */
export interface IndexFlags {
  index?: string[]
}

/** The option that declares a schema's indexes for a write, so it keeps their collections. */
export const INDEX_OPTION = [
  '--index <name=field>',
  'a declared index of the schema, e.g. --index byList=listId (repeat for several); give every index the app declares, or its collections go stale',
  (value: string, previous: string[] = []) => [...previous, value],
] as const

/** A schema named `name` with the indexes of `--index` flags. */
export function schemaWithIndexes(
  name: string,
  flags: readonly string[] | undefined,
): Schema<unknown> {
  const indexes: Record<string, string> = {}
  for (const flag of flags ?? []) {
    const equals = flag.indexOf('=')
    if (equals <= 0 || equals === flag.length - 1) {
      throw new SyncError(
        'invalid_request',
        `--index ${JSON.stringify(flag)}: write it as <name>=<field>, e.g. --index byList=listId.`,
      )
    }
    indexes[flag.slice(0, equals)] = flag.slice(equals + 1)
  }
  return defineSchema<Record<string, unknown>>(name, { indexes })
}

/** `--where index=value` → a `where` object (the value is a string, as in the GET form). */
export function parseWhereFlag(flag: string | undefined): IndexMatch {
  if (flag === undefined) return undefined
  const equals = flag.indexOf('=')
  if (equals <= 0) {
    throw new SyncError(
      'invalid_request',
      `--where ${JSON.stringify(flag)}: write it as <index>=<value>, e.g. --where byList=inbox.`,
    )
  }
  return parseWhere({ [flag.slice(0, equals)]: flag.slice(equals + 1) })
}

const whereOption = (match: IndexMatch): { where?: Record<string, string | number | boolean> } =>
  match === undefined ? {} : { where: { [match[0]]: match[1] } }

/** `list <tenant> <schema> [--where index=value] [--limit n] [--after id]`: one member a line. */
export function listCommand(withRepo: WithRepo, printLine: (value: unknown) => void): Command {
  return new Command('list')
    .description(
      'print the members of a collection, in id order, as {"id","version","value"} lines',
    )
    .argument('<tenant>')
    .argument('<schema>')
    .option('--where <index=value>', 'one value of a declared index (a string)')
    .option('--limit <n>', 'at most this many members')
    .option('--after <id>', 'start after this id')
    .action(
      (
        tenant: string,
        schema: string,
        flags: StoreFlags & { where?: string; limit?: string; after?: string },
      ) =>
        withRepo(flags, async (repo) => {
          const where = parseWhereFlag(flags.where)
          const limit = flags.limit === undefined ? undefined : Number(flags.limit)
          const members = await repo.tenant(tenant).list(defineSchema(schema), {
            ...whereOption(where),
            ...(limit === undefined ? {} : { limit }),
            ...(flags.after === undefined ? {} : { after: flags.after }),
          })
          for (const { id, version, value } of members) printLine({ id, version, value })
        }),
    )
}

/**
 * The collection's members, then every change, one line each (`value: null`: the id
 * left), until `signal`: each fire reads only what changed since the last version
 * printed, and re-arms in the same transaction. A `{"reset":true}` line means the list
 * starts over (the removals since the last version were compacted).
 */
export async function watchCollectionLines(
  tenant: TenantRepo,
  schema: Schema<unknown>,
  where: IndexMatch,
  signal: AbortSignal,
  printLine: (value: unknown) => void,
): Promise<void> {
  let since: Version | undefined
  let failures = 0
  while (!signal.aborted) {
    const { changes, watch } = await retrying(
      () =>
        tenant.readCollectionAndWatch(schema, {
          ...whereOption(where),
          ...(since === undefined ? {} : { since }),
        }),
      { signal },
    ).catch((error: unknown) => {
      if (signal.aborted) return { changes: undefined, watch: undefined }
      throw error
    })
    if (changes === undefined || watch === undefined) return
    const onAbort = (): void => watch.cancel()
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      if (changes.reset && since !== undefined) printLine({ reset: true, version: changes.version })
      for (const change of changes.changes) {
        printLine({
          schema: schema.name,
          where: where === undefined ? null : { [where[0]]: where[1] },
          ...change,
        })
      }
      since = changes.version
      if (await watch.changed) failures = 0
      else if (!signal.aborted) await wait(backoffDelayMs(failures++, STORE_BACKOFF), signal)
    } finally {
      signal.removeEventListener('abort', onAbort)
      watch.cancel()
    }
  }
}
