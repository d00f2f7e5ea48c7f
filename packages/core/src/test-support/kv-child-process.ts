import { spawn } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, '../../../..')
const script = path.join(here, 'kv-child.ts')

/** A running `kv-child.ts` process. */
export interface KvChildForTesting {
  /** Resolves with the first stdout line that starts with `prefix` (rejects if the child exits first). */
  line(prefix: string): Promise<string>
  /** Resolves when the child exits with code 0; rejects with its stderr otherwise. */
  readonly exited: Promise<void>
  kill(): void
}

/**
 * Starts `kv-child.ts <args>` from source (tsx) with `env` added to this process's
 * environment. See kv-child.ts for the commands.
 */
export function startKvChildForTesting(
  env: Record<string, string>,
  args: string[],
): KvChildForTesting {
  const child = spawn(
    process.execPath,
    ['--conditions=@fdb-live/source', '--import', 'tsx', script, ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const lines: string[] = []
  const waiters: Array<{
    prefix: string
    resolve: (line: string) => void
    reject: (error: Error) => void
  }> = []
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line)
    for (const waiter of [...waiters]) {
      if (line.startsWith(waiter.prefix)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(line)
      }
    }
  })
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      const failure = new Error(`kv-child ${args.join(' ')} exited with ${code}:\n${stderr}`)
      for (const waiter of waiters.splice(0)) waiter.reject(failure)
      if (code === 0) resolve()
      else reject(failure)
    })
  })
  exited.catch(() => undefined)
  return {
    exited,
    kill: () => child.kill(),
    line(prefix) {
      const seen = lines.find((line) => line.startsWith(prefix))
      if (seen !== undefined) return Promise.resolve(seen)
      if (child.exitCode !== null)
        return Promise.reject(new Error(`kv-child exited before printing ${prefix}:\n${stderr}`))
      return new Promise((resolve, reject) => waiters.push({ prefix, resolve, reject }))
    },
  }
}
