/**
 * A separate process that writes to the same store as the gateway under test, so that
 * watches fire across processes as they do in production. Commands arrive as JSON lines
 * on stdin; each answer is one JSON line on stdout.
 *
 *   FDB_LIVE_STORE=embedded FDB_LIVE_DATA_DIR=<dir>            (the embedded store)
 *   FDB_LIVE_STORE=fdb FDB_CLUSTER_FILE=<file> FDB_LIVE_ROOT=<root>  (FoundationDB)
 *   node --conditions=@fdb-live/source --import tsx writer-process.ts
 */
import readline from 'node:readline'
import { createRepo, defineSchema, openStore, toSyncError } from '@fdb-live/core'

export type WriterCommand =
  | { op: 'put'; tenant: string; schema: string; id: string; value: unknown }
  | { op: 'delete'; tenant: string; schema: string; id: string }
  /** `count` separate commits of `{ n, pad }` where pad has `padBytes` characters. */
  | { op: 'putMany'; tenant: string; schema: string; id: string; count: number; padBytes: number }

const store = await (process.env['FDB_LIVE_STORE'] === 'fdb'
  ? openStore({ kind: 'fdb' })
  : openStore({ kind: 'embedded' }))
const root = process.env['FDB_LIVE_ROOT']
const repo = createRepo(store, root === undefined ? {} : { root })

async function run(command: WriterCommand): Promise<unknown> {
  const tenant = repo.tenant(command.tenant)
  const schema = defineSchema(command.schema)
  switch (command.op) {
    case 'put':
      return tenant.put(schema, command.id, command.value)
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
