import { spawn, type ChildProcess } from 'node:child_process'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { storeEnvForTesting, type StoreTargetForTesting } from './stores.js'
import type { LikeTally, WriterCommand } from './writer-process.js'

/** Runs TypeScript from source in a fresh Node.js process (as `pnpm fdb-live` does). */
export const SOURCE_NODE_ARGS = ['--conditions=@fdb-live/source', '--import', 'tsx']

/** A writer in another process: `put`/`delete` resolve with the committed version. */
export interface WriterForTesting extends AsyncDisposable {
  /** `indexes`: the schema's declared indexes, so the write keeps its collections. */
  put(
    tenant: string,
    schema: string,
    id: string,
    value: unknown,
    indexes?: Record<string, string>,
  ): Promise<string>
  delete(
    tenant: string,
    schema: string,
    id: string,
    indexes?: Record<string, string>,
  ): Promise<string | null>
  /** `count` commits of `{ n, pad }`, n = 1…count; resolves with every version. */
  putMany(
    tenant: string,
    schema: string,
    id: string,
    count: number,
    padBytes?: number,
  ): Promise<string[]>
  /** `count` like transactions (read likes, write likes + 1) on a record with a `likes` field. */
  like(tenant: string, schema: string, id: string, count: number): Promise<LikeTally>
  close(): Promise<void>
}

/**
 * Starts `writer-process.ts` on the same store as a test gateway (`gw.target`, or an
 * embedded store's data directory) and waits until its store is open.
 */
export async function spawnWriterForTesting(
  store: string | StoreTargetForTesting | { readonly target: StoreTargetForTesting },
): Promise<WriterForTesting> {
  const target: StoreTargetForTesting =
    typeof store === 'string'
      ? { kind: 'embedded', dataDir: store }
      : 'target' in store
        ? store.target
        : store
  const script = fileURLToPath(new URL('./writer-process.ts', import.meta.url))
  const child: ChildProcess = spawn(process.execPath, [...SOURCE_NODE_ARGS, script], {
    env: { ...process.env, ...storeEnvForTesting(target) },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = readline.createInterface({ input: child.stdout! })
  const queue: ((line: string) => void)[] = []
  lines.on('line', (line) => queue.shift()?.(line))
  const nextLine = (): Promise<string> => new Promise((resolve) => queue.push(resolve))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ready = await Promise.race([nextLine(), exited.then(() => 'exited')])
  if (ready === 'exited') throw new Error('the writer process exited before it was ready')

  let chain: Promise<unknown> = Promise.resolve()
  const call = <T>(command: WriterCommand): Promise<T> => {
    const result = chain.then(async () => {
      const answer = nextLine()
      child.stdin!.write(`${JSON.stringify(command)}\n`)
      const parsed = JSON.parse(await answer) as {
        ok?: T
        error?: { code: string; message: string }
      }
      if (parsed.error) throw new Error(`${parsed.error.code}: ${parsed.error.message}`)
      return parsed.ok as T
    })
    chain = result.catch(() => {})
    return result
  }
  const close = async (): Promise<void> => {
    child.stdin!.end()
    await exited
  }
  return {
    put: async (tenant, schema, id, value, indexes) =>
      (
        await call<{ version: string }>({
          op: 'put',
          tenant,
          schema,
          id,
          value,
          ...(indexes === undefined ? {} : { indexes }),
        })
      ).version,
    delete: async (tenant, schema, id, indexes) =>
      (
        await call<{ version: string | null }>({
          op: 'delete',
          tenant,
          schema,
          id,
          ...(indexes === undefined ? {} : { indexes }),
        })
      ).version,
    putMany: async (tenant, schema, id, count, padBytes = 0) =>
      (await call<{ versions: string[] }>({ op: 'putMany', tenant, schema, id, count, padBytes }))
        .versions,
    like: (tenant, schema, id, count) => call<LikeTally>({ op: 'like', tenant, schema, id, count }),
    close,
    [Symbol.asyncDispose]: close,
  }
}
