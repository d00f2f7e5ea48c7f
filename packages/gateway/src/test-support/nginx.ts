import { spawn, spawnSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
/** The example config that docs/deploy.md shows; tests run this very file. */
export const NGINX_EXAMPLE_CONFIG = path.join(ROOT, 'docs', 'deploy', 'nginx.conf')

/** Whether nginx can run here: its path, or why not (the test then skips and says so). */
export type NginxAvailability = { path: string } | { skip: string } | { failure: string }

/**
 * Runs scripts/ensure-nginx.mjs: finds nginx, or installs Debian's nginx-light with apt-get
 * when root (as scripts/ensure-chromium.mjs does for Chromium). Not root and no nginx: a
 * reason to skip. Root and apt-get failed: a failure.
 */
export function ensureNginxForTesting(): NginxAvailability {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'ensure-nginx.mjs')], {
    encoding: 'utf8',
    timeout: 600_000,
  })
  const found = result.stdout.trim().split('\n').at(-1)
  if (result.status === 0 && found) {
    // Says so when it installed nginx just now.
    if (result.stderr.trim() !== '')
      console.log(`ensure-nginx: ${result.stderr.trim().split('\n').at(-1)}`)
    return { path: found }
  }
  if (result.status === 3) return { skip: result.stderr.trim() }
  return { failure: `scripts/ensure-nginx.mjs failed (${result.status}):\n${result.stderr}` }
}

/** nginx in front of gateways, from {@link startNginxForTesting}. */
export interface NginxForTesting extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** The config it runs (the example with this test's addresses). */
  readonly config: string
  readonly output: string[]
  close(): Promise<void>
}

/**
 * Renders docs/deploy/nginx.conf for this test (the two example gateway addresses and the
 * listen port replaced; each must appear as often as expected, so an edit to the example that this
 * would no longer test fails loudly) and starts nginx on it in the foreground, with its own
 * prefix, pid and temp directories under a temporary directory. Resolves once it accepts
 * connections.
 */
export async function startNginxForTesting(options: {
  nginxPath: string
  gateways: readonly [number, number]
}): Promise<NginxForTesting> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fdb-live-nginx-'))
  // nginx's workers run as another user when the master is root.
  await chmod(dir, 0o755)
  await mkdir(path.join(dir, 'temp'))
  const port = await freePort()
  let config = await readFile(NGINX_EXAMPLE_CONFIG, 'utf8')
  // Each gateway appears once per upstream block (two blocks), the listen port once.
  for (const [from, to, times] of [
    ['server 10.0.0.11:4001 ', `server 127.0.0.1:${options.gateways[0]} `, 2],
    ['server 10.0.0.12:4001 ', `server 127.0.0.1:${options.gateways[1]} `, 2],
    ['listen 8080;', `listen 127.0.0.1:${port};`, 1],
  ] as const) {
    const count = config.split(from).length - 1
    if (count !== times) {
      throw new Error(`${NGINX_EXAMPLE_CONFIG}: expected "${from}" ${times} times, found ${count}`)
    }
    config = config.split(from).join(to)
  }
  await writeFile(path.join(dir, 'fdb-live.conf'), config)
  await writeFile(
    path.join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      'error_log stderr warn;',
      'events { worker_connections 256; }',
      'http {',
      '    access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (temp) => `    ${temp}_temp_path ${dir}/temp/${temp};`,
      ),
      `    include ${dir}/fdb-live.conf;`,
      '}',
      '',
    ].join('\n'),
  )
  const child = spawn(
    options.nginxPath,
    ['-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', 'stderr'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const output: string[] = []
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => output.push(line))
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let running = true
  void exited.then(() => (running = false))
  const url = `http://127.0.0.1:${port}`
  const close = async (): Promise<void> => {
    // SIGTERM: fast shutdown (SIGQUIT would wait for every open stream to end).
    if (running) child.kill('SIGTERM')
    await exited
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await waitUntilListening(port, () => running, output)
  } catch (error) {
    await close()
    throw error
  }
  return { url, config, output, close, [Symbol.asyncDispose]: close }
}

async function waitUntilListening(
  port: number,
  running: () => boolean,
  output: string[],
): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    if (!running()) throw new Error(`nginx exited at start:\n${output.join('\n')}`)
    if (await accepts(port)) return
    if (Date.now() > deadline)
      throw new Error(`nginx did not listen within 10 s:\n${output.join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}
