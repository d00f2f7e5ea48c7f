import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import net from 'node:net'
import readline from 'node:readline'

/** The repository root. */
export const ROOT = new URL('../../', import.meta.url).pathname

/** Node flags that run the workspace's TypeScript from source, as bootstrap.mjs does. */
export const SOURCE_FLAGS = ['--conditions=@fdb-live/source', '--import', 'tsx']

/** A child process whose output is kept (for failure reports) and can be waited on. */
export interface ManagedProcess {
  readonly name: string
  readonly child: ChildProcess
  /** Every line it printed, prefixed with its name. */
  readonly output: string[]
  /** Resolves when it exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves with the first line that matches, rejects if it exits first. */
  waitForLine(pattern: RegExp): Promise<string>
  /** Sends `signal` and waits for the exit (no-op when it already exited). */
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** Starts `node args…` with its output captured line by line. */
export function startNode(
  name: string,
  args: string[],
  options: {
    env?: Record<string, string>
    /** Variables of this process that the child must not inherit. */
    unsetEnv?: string[]
    cwd?: string
    sink?: string[]
  } = {},
): ManagedProcess {
  // Plain output: Playwright sets FORCE_COLOR for its workers, which Node would warn about.
  const { FORCE_COLOR: _forceColor, ...inherited } = process.env
  for (const name of options.unsetEnv ?? []) delete inherited[name]
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...inherited, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const listeners = new Set<(line: string) => void>()
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      output.push(`[${name}] ${line}`)
      options.sink?.push(`${new Date().toISOString().slice(11, 23)} [${name}] ${line}`)
      for (const listener of listeners) listener(line)
    })
  }
  let done = false
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true
      output.push(`[${name}] exited (${signal ?? `code ${code}`})`)
      options.sink?.push(
        `${new Date().toISOString().slice(11, 23)} [${name}] exited (${signal ?? `code ${code}`})`,
      )
      resolve({ code, signal })
    })
  })

  return {
    name,
    child,
    output,
    exited,
    waitForLine(pattern) {
      return new Promise((resolve, reject) => {
        const found = output.find((line) => pattern.test(line))
        if (found !== undefined) return resolve(found)
        const listener = (line: string) => {
          if (!pattern.test(line)) return
          listeners.delete(listener)
          resolve(line)
        }
        listeners.add(listener)
        void exited.then(() => {
          listeners.delete(listener)
          reject(
            new Error(`${name} exited before printing ${String(pattern)}:\n${output.join('\n')}`),
          )
        })
      })
    },
    async stop(signal = 'SIGTERM') {
      if (done) return
      child.kill(signal)
      await exited
    },
  }
}

/** Runs `node args…` to completion. */
export async function runNode(
  name: string,
  args: string[],
  options: { env?: Record<string, string>; sink?: string[] } = {},
): Promise<{ code: number | null; output: string }> {
  const proc = startNode(name, args, options)
  const { code } = await proc.exited
  return { code, output: proc.output.join('\n') }
}

/** A port that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/** True when something accepts connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Polls `url` until it answers 2xx (or `timeoutMs` passes). */
export async function waitForOk(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer'
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      if (response.ok) return
      last = `HTTP ${response.status}`
    } catch (error) {
      last = String(error)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last}).`)
}
