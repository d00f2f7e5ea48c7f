/**
 * A benchmark process spoken to over IPC: `ask` sends a request and resolves with the
 * next reply (requests are answered in order). It may be started under a command prefix
 * such as `prlimit --nofile=…`, which keeps the IPC channel since it execs Node in place.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
/** Run TypeScript from source, as every script in bench/ does. */
export const SOURCE = ['--conditions=@fdb-live/source', '--import', 'tsx']

export class IpcChild<Req, Rep> {
  readonly #child: ChildProcess
  readonly #queue: { resolve: (reply: Rep) => void; reject: (error: Error) => void }[] = []
  readonly ready: Promise<void>
  readonly #exit: Promise<void>

  constructor(script: string, args: string[], prefix: string[] = []) {
    const command = [...prefix, process.execPath, ...SOURCE, path.join(here, script), ...args]
    this.#child = spawn(command[0]!, command.slice(1), {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.#exit = new Promise((resolve) =>
      this.#child.once('exit', (code, signal) => {
        for (const waiter of this.#queue.splice(0))
          waiter.reject(new Error(`${script} exited (${code ?? signal}) before it answered`))
        resolve()
      }),
    )
    this.ready = new Promise((resolve, reject) => {
      this.#child.once('message', () => resolve())
      this.#child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))
    })
    void this.ready
      .then(() => this.#child.on('message', (reply: Rep) => this.#queue.shift()?.resolve(reply)))
      .catch(() => {})
  }

  get pid(): number {
    return this.#child.pid ?? NaN
  }

  ask<R extends Rep = Rep>(request: Req): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ resolve: resolve as (reply: Rep) => void, reject })
      this.#child.send(request as object)
    })
  }

  /** Send a last request (or none) and wait for the process to exit. */
  async stop(request?: Req): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      if (request === undefined) this.#child.kill('SIGTERM')
      else this.#child.send(request as object)
    }
    await this.#exit
  }
}
