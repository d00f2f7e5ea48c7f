/**
 * The gateway as bench/fanout-vs-nchan.ts runs it: the `fdb-live gateway` command from
 * source, in its own process, on the embedded store that the writer process commits to.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { FanoutTarget, TargetOptions } from './fanout-target.js'
import { SOURCE } from './ipc-child.js'

const cli = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'packages/gateway/src/cli.ts',
)

export async function startGatewayTarget(
  options: TargetOptions & { dataDir: string },
): Promise<FanoutTarget> {
  if (options.workers !== 1)
    throw new Error('the gateway has no --workers yet (issue 12, item 2): run with --workers 1')
  const profile =
    options.cpuProfileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
  const command = [
    ...options.fileLimit.prefix,
    process.execPath,
    ...profile,
    ...SOURCE,
    cli,
    'gateway',
    '--port=0',
    `--data-dir=${options.dataDir}`,
    '--create',
    '--max-watches=100000',
    '--cors-origin=*',
  ]
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, FDB_LIVE_LOG_LEVEL: 'warn' },
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // If the benchmark dies first, do not leave a gateway behind holding its port.
  const orphan = (): boolean => child.kill('SIGKILL')
  process.once('exit', orphan)
  void exited.then(() => process.off('exit', orphan))
  const url = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const found = /listening on (\S+)/.exec(line)?.[1]
      if (found !== undefined) resolve(found)
    })
    void exited.then(() => reject(new Error('the gateway exited before it listened')))
  })
  return {
    name: 'gateway',
    streamUrl: `${url}/v1/tenants/bench/stream?sub=items/hot`,
    readyOn: 'synced',
    publishUrl: undefined,
    servingPids: () => [child.pid!],
    async stop() {
      child.kill('SIGTERM') // a graceful shutdown, so that --cpu-prof writes its profile
      await exited
    },
  }
}
