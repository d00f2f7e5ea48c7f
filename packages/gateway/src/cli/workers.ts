/**
 * `fdb-live gateway --workers N`: N gateway processes behind one port, with `node:cluster`.
 * Node 20's `net` has no SO_REUSEPORT option (`reusePort` came in Node 22.12/23.1), so the
 * primary process accepts the connections and hands them to the workers in turn (the
 * cluster module's round-robin, its default on Linux). Each worker is a whole gateway with
 * its own store connection and watch hub: one store watch per subscribed record *per
 * worker* (docs/deploy.md, "Several workers on one machine").
 *
 *   starting ──(every worker listening)──► serving ──(SIGTERM/SIGINT)──► stopping ──► exit
 *      │                                     │ a worker dies: log, fork a new one
 *      └─(a worker exits before all listen: bad configuration)──► stopping ──► exit 1
 *
 * The primary holds no store and no streams: it forks, restarts and stops the workers.
 */
import cluster, { type Worker } from 'node:cluster'
import os from 'node:os'
import { InvalidArgumentError } from 'commander'
import type { Logger } from 'pino'

/** What a worker tells the primary once its server listens. */
export interface WorkerListening {
  readonly fdbLive: 'listening'
  readonly url: string
}

/**
 * Longest the workers get to shut down before the primary kills them: well past a worker's
 * own deadline (4.5 s in gateway-command.ts), so a loaded machine does not turn a worker's
 * clean but slow drain into a kill and exit code 1.
 */
const STOP_DEADLINE_MS = 8000
/** A worker that dies sooner than this after its start is restarted after a pause. */
const CRASH_LOOP_MS = 5000
const RESTART_PAUSE_MS = 1000

/** `--workers`: a whole number from 1 up, or `auto` (the cores this process may use). */
export function parseWorkers(value: string): number {
  if (value === 'auto') return os.availableParallelism()
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1 || n > 256)
    throw new InvalidArgumentError('expected a number of worker processes from 1 to 256, or auto.')
  return n
}

/** In a worker of {@link runPrimary}: its number (1…N; a restarted worker gets a new one). */
export function workerId(): number | undefined {
  return cluster.isWorker ? cluster.worker?.id : undefined
}

/** In a worker: tells the primary that this worker listens on `url`. */
export function reportListening(url: string): void {
  process.send?.({ fdbLive: 'listening', url } satisfies WorkerListening)
}

const isListening = (message: unknown): message is WorkerListening =>
  typeof message === 'object' &&
  message !== null &&
  (message as { fdbLive?: unknown }).fdbLive === 'listening'

/**
 * The primary: forks `count` workers (each runs this same command line), prints
 * `fdb-live gateway listening on <url> (N workers)` once all of them listen, restarts a
 * worker that dies, and on SIGTERM/SIGINT stops them all and exits (0 when every worker
 * shut down cleanly).
 */
export function runPrimary(count: number, logger: Logger): void {
  let state: 'starting' | 'serving' | 'stopping' = 'starting'
  const listening = new Set<number>()
  const startedAt = new Map<number, number>()
  let exitCode = 0

  const fork = (): void => {
    const worker = cluster.fork()
    startedAt.set(worker.id, Date.now())
    worker.on('message', (message: unknown) => {
      if (isListening(message)) onListening(worker, message.url)
    })
  }

  const onListening = (worker: Worker, url: string): void => {
    listening.add(worker.id)
    if (state === 'starting' && listening.size === count) {
      state = 'serving'
      logger.info({ url, workers: count }, 'gateway listening')
      process.stdout.write(`fdb-live gateway listening on ${url} (${count} workers)\n`)
    } else if (state === 'serving') {
      logger.info({ worker: worker.id, pid: worker.process.pid }, 'restarted worker listening')
    }
  }

  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id)
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0)
    startedAt.delete(worker.id)
    if (state === 'stopping') {
      if (code !== 0) {
        logger.error({ worker: worker.id, code, signal }, 'a worker did not shut down cleanly')
        exitCode = 1
      }
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.flush()
        process.exit(exitCode)
      }
      return
    }
    if (state === 'starting') {
      // Before every worker listened: bad flags or a store that cannot be opened. Restarting
      // would only repeat it; the worker has said why on stderr.
      logger.error({ worker: worker.id, code, signal }, 'a worker exited while starting; stopping')
      exitCode = code ?? 1
      stop('startup failure')
      return
    }
    logger.error(
      { worker: worker.id, pid: worker.process.pid, code, signal },
      'gateway worker died; starting a new one',
    )
    if (lived < CRASH_LOOP_MS) setTimeout(fork, RESTART_PAUSE_MS)
    else fork()
  })

  const stop = (reason: string): void => {
    if (state === 'stopping') return
    state = 'stopping'
    logger.info({ reason }, 'stopping every worker')
    const workers = Object.values(cluster.workers ?? {})
    if (workers.length === 0) process.exit(exitCode)
    // A signal, not disconnect(): each worker runs its own graceful shutdown (streams end
    // with their last events, watches are released) on SIGTERM.
    for (const worker of workers) worker?.process.kill('SIGTERM')
    setTimeout(() => {
      logger.error('workers did not stop in time; killing them')
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL')
      exitCode = 1
    }, STOP_DEADLINE_MS).unref()
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))

  for (let i = 0; i < count; i++) fork()
}
