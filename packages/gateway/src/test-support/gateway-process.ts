import { spawn, type ChildProcess } from 'node:child_process'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { SOURCE_NODE_ARGS } from './writer.js'

/** A `fdb-live gateway` process (the CLI, from source), for tests with several gateways. */
export interface GatewayProcessForTesting extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`, from the line it prints once it listens. */
  readonly url: string
  readonly port: number
  readonly child: ChildProcess
  /** Everything it printed (stdout and stderr), for failure messages. */
  readonly output: string[]
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends `signal` (default SIGTERM) and waits for the exit; no-op once it exited. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

/**
 * Starts `fdb-live gateway …flags` as its own process (on `--port 0` unless `flags` give a
 * port) and resolves once it listens.
 * The process inherits this one's environment plus `env` (for `--store fdb` on the libfdb_c
 * test double that includes LD_LIBRARY_PATH, which vitest's global setup already set).
 * Disposal kills it (SIGKILL) if it still runs.
 */
export async function startGatewayProcessForTesting(
  flags: string[],
  env: Record<string, string> = {},
): Promise<GatewayProcessForTesting> {
  const cli = fileURLToPath(new URL('../cli.ts', import.meta.url))
  const child = spawn(
    process.execPath,
    [
      ...SOURCE_NODE_ARGS,
      cli,
      'gateway',
      ...(flags.includes('--port') ? [] : ['--port', '0']),
      '--host',
      '127.0.0.1',
      ...flags,
    ],
    { env: { ...process.env, FDB_LIVE_LOG_LEVEL: 'warn', ...env }, stdio: 'pipe' },
  )
  const output: string[] = []
  let done = false
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true
      resolve({ code, signal })
    }),
  )
  const listening = new Promise<string>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        output.push(line)
        const url = /fdb-live gateway listening on (http:\S+)/.exec(line)?.[1]
        if (url !== undefined) resolve(url)
      })
    }
    void exited.then(({ code, signal }) =>
      reject(
        new Error(
          `the gateway exited (${signal ?? `code ${code}`}) before it listened:\n${output.join('\n')}`,
        ),
      ),
    )
  })
  const url = await listening
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (!done) child.kill(signal)
    await exited
  }
  return {
    url,
    port: Number(new URL(url).port),
    child,
    output,
    exited,
    stop,
    [Symbol.asyncDispose]: () => stop('SIGKILL'),
  }
}
