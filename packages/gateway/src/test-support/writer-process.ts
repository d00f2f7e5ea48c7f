/**
 * A separate process that writes to the same store as the gateway under test, so that
 * watches fire across processes as they do in production. Commands arrive as JSON lines
 * on stdin; each answer is one JSON line on stdout.
 *
 *   FDB_LIVE_STORE=embedded FDB_LIVE_DATA_DIR=<dir>            (the embedded store)
 *   FDB_LIVE_STORE=fdb FDB_CLUSTER_FILE=<file> FDB_LIVE_ROOT=<root>  (FoundationDB)
 *   node --conditions=@fdb-live/source --import tsx writer-process.ts [<dataDir>]
 */
import readline from 'node:readline'
import { createRepo, defineSchema, openStore, toSyncError } from '@fdb-live/core'

export type WriterCommand =
  | {
      op: 'put'
      tenant: string
      schema: string
      id: string
      value: unknown
      /** The schema's declared indexes (collections), index name → field. */
      indexes?: Record<string, string>
    }
  | { op: 'delete'; tenant: string; schema: string; id: string; indexes?: Record<string, string> }
  /** `count` separate commits of `{ n, pad }` where pad has `padBytes` characters. */
  | { op: 'putMany'; tenant: string; schema: string; id: string; count: number; padBytes: number }
  /**
   * `count` likes of the seed's Like: one transaction each that reads the record's `likes`
   * and writes `likes + 1`. Answers how each ended (see {@link LikeTally}).
   */
  | { op: 'like'; tenant: string; schema: string; id: string; count: number }

/** How the likes of one `like` command ended. */
export interface LikeTally {
  /** The Repo reported the transaction committed. */
  done: number
  /** The Repo reported `commit_unknown`: it may or may not have landed. */
  unknown: number
  /** Any other error, by code: the Repo promises these did not commit. */
  failed: Record<string, number>
  /** Runs of the transaction body (more than done + unknown + failed: retries). */
  attempts: number
}

// A data directory as the argument (the older form) is the embedded store there.
const dataDir = process.argv[2]
const store = await (process.env['FDB_LIVE_STORE'] === 'fdb' && dataDir === undefined
  ? openStore({ kind: 'fdb' })
  : openStore({ kind: 'embedded', ...(dataDir === undefined ? {} : { dataDir }) }))
const root = process.env['FDB_LIVE_ROOT']
const repo = createRepo(store, root === undefined ? {} : { root })

async function run(command: WriterCommand): Promise<unknown> {
  const tenant = repo.tenant(command.tenant)
  const schema = defineSchema<Record<string, unknown>>(
    command.schema,
    'indexes' in command && command.indexes !== undefined ? { indexes: command.indexes } : {},
  )
  switch (command.op) {
    case 'put':
      return tenant.put(schema, command.id, command.value as Record<string, unknown>)
    case 'delete':
      return { version: (await tenant.delete(schema, command.id))?.version ?? null }
    case 'putMany': {
      const pad = 'x'.repeat(command.padBytes)
      const versions: string[] = []
      for (let n = 1; n <= command.count; n++) {
        versions.push((await tenant.put(schema, command.id, { n, pad })).version)
      }
      return { version: versions.at(-1), versions }
    }
    case 'like': {
      const tally: LikeTally = { done: 0, unknown: 0, failed: {}, attempts: 0 }
      const likes = defineSchema<{ likes: number }>(command.schema)
      for (let i = 0; i < command.count; i++) {
        try {
          await tenant.transact(async (tx) => {
            tally.attempts += 1
            const record = await tx.get(likes, command.id)
            if (record === null) throw new Error(`like: no record ${command.id}`)
            await tx.update(likes, command.id, {
              ...record.value,
              likes: record.value.likes + 1,
            })
          })
          tally.done += 1
        } catch (error) {
          const { code } = toSyncError(error)
          if (code === 'commit_unknown') tally.unknown += 1
          else tally.failed[code] = (tally.failed[code] ?? 0) + 1
        }
      }
      return tally
    }
  }
}

process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue
  try {
    process.stdout.write(
      `${JSON.stringify({ ok: await run(JSON.parse(line) as WriterCommand) })}\n`,
    )
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: toSyncError(error).toJSON().error })}\n`)
  }
}
await store.close()
