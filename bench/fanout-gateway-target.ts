/**
 * The gateway as bench/fanout-vs-nchan.ts runs it: the `fdb-live gateway` command from
 * source, in its own process, on the embedded store that the writer process commits to;
 * with `--workers N` when the run asks for more than one serving process.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { FanoutTarget, TargetOptions } from './fanout-target.js'
import { SOURCE } from './ipc-child.js'
import { childPids } from './proc.js'

const cli = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'packages/gateway/src/cli.ts',
)
const distCli = path.join(path.dirname(cli), '..', 'dist', 'cli.js')

export async function startGatewayTarget(
  options: TargetOptions & { dataDir: string },
): Promise<FanoutTarget> {
  const profile =
    options.cpuProfileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
  // FDB_LIVE_BENCH_DIST=1: the built CLI, as a user's `fdb-live` bin runs it;
  // FDB_LIVE_BENCH_NODE_FLAGS: Node flags for the gateway (e.g. --max-semi-space-size=2).
  const fromBuild = process.env.FDB_LIVE_BENCH_DIST === '1'
  if (fromBuild && !fs.existsSync(distCli))
    throw new Error(
      `FDB_LIVE_BENCH_DIST=1 runs ${distCli}, which is missing: run \`pnpm build\` first`,
    )
  const command = [
    ...options.fileLimit.prefix,
    process.execPath,
    ...profile,
    ...(process.env.FDB_LIVE_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
    ...(fromBuild ? [distCli] : [...SOURCE, cli]),
    'gateway',
    '--port=0',
    `--data-dir=${options.dataDir}`,
    '--create',
    '--max-watches=100000',
    '--cors-origin=*',
    `--workers=${options.workers}`,
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
    metricsUrl: `${url}/metrics`,
    // With --workers N: the primary (which accepts and hands out connections) and its workers.
    servingPids: () => [child.pid!, ...(options.workers > 1 ? childPids(child.pid!) : [])],
    async stop() {
      child.kill('SIGTERM') // a graceful shutdown, so that --cpu-prof writes its profile
      await exited
    },
  }
}
