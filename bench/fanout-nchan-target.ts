/**
 * nginx + nchan as bench/fanout-vs-nchan.ts runs it: `worker_processes` = the workers
 * asked for (1 by default), one channel, EventSource subscribers at /sub and the publisher
 * at /pub, logs and pid in the run's scratch directory. Debian's `libnginx-mod-nchan` (and
 * `nginx-light` when no nginx is there) is installed with apt-get when we are root.
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import type { FanoutTarget, TargetOptions } from './fanout-target.js'
import { childPids } from './proc.js'

const MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so'
const log = (message: string): void => console.error(`[bench:fanout] ${message}`)

const nginxBinary = (): string | undefined =>
  ['/usr/sbin/nginx', '/usr/bin/nginx'].find((file) => fs.existsSync(file))

/** Makes sure nginx and the nchan module are there; returns why not when they cannot be. */
export function ensureNchan(): { ok: true } | { ok: false; reason: string } {
  if (nginxBinary() !== undefined && fs.existsSync(MODULE)) return { ok: true }
  if (process.getuid?.() !== 0)
    return {
      ok: false,
      reason:
        'nchan is not installed and we are not root: sudo apt-get install nginx-light libnginx-mod-nchan',
    }
  const packages = [...(nginxBinary() === undefined ? ['nginx-light'] : []), 'libnginx-mod-nchan']
  const install = (): number | null =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status
  log(`installing ${packages.join(' ')} with apt-get…`)
  if (install() !== 0) {
    spawnSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'] })
    install()
  }
  return nginxBinary() !== undefined && fs.existsSync(MODULE)
    ? { ok: true }
    : { ok: false, reason: `apt-get install ${packages.join(' ')} failed (see above)` }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/**
 * worker_connections is set above the open-file limit on purpose: with it just under the
 * limit, nginx refused a few hundred of 19,000 subscribers ("worker_connections are not
 * enough") while fds were still free; this way the file limit is the only bound, as for
 * the gateway.
 */
function config(dir: string, port: number, options: TargetOptions): string {
  return `load_module ${MODULE};
daemon off;
master_process on;
worker_processes ${options.workers};
worker_rlimit_nofile ${options.fileLimit.nofile};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${2 * options.fileLimit.nofile}; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location = /sub { nchan_subscriber eventsource; nchan_channel_id bench; }
    location = /pub { nchan_publisher; nchan_channel_id bench; nchan_message_buffer_length 5; }
  }
}
`
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy()
        resolve(true)
      })
      socket.on('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > until) throw new Error(`nginx did not listen on ${port}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export async function startNchanTarget(options: TargetOptions): Promise<FanoutTarget> {
  const dir = fs.mkdtempSync(path.join(options.dir, 'nginx-'))
  const port = await freePort()
  const conf = path.join(dir, 'nginx.conf')
  fs.writeFileSync(conf, config(dir, port, options))
  const command = [
    ...options.fileLimit.prefix,
    nginxBinary()!,
    '-p',
    `${dir}/`,
    '-e',
    `${dir}/error.log`,
    '-c',
    conf,
  ]
  const master = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] })
  const exited = new Promise<void>((resolve) => master.once('exit', () => resolve()))
  // If the benchmark dies first, do not leave nginx behind (its workers follow the master).
  const orphan = (): boolean => master.kill('SIGTERM')
  process.once('exit', orphan)
  void exited.then(() => process.off('exit', orphan))
  await Promise.race([
    waitForPort(port, 10_000),
    exited.then(() => {
      throw new Error(`nginx exited at start: ${fs.readFileSync(`${dir}/error.log`, 'utf8')}`)
    }),
  ])
  const base = `http://127.0.0.1:${port}`
  return {
    name: 'nchan',
    streamUrl: `${base}/sub`,
    readyOn: 'headers',
    publishUrl: `${base}/pub`,
    metricsUrl: undefined,
    servingPids: () => childPids(master.pid!),
    async stop() {
      master.kill('SIGTERM')
      await exited
    },
  }
}
