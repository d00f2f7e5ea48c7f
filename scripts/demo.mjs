#!/usr/bin/env node
// `pnpm demo` (after scripts/bootstrap.mjs installed and built everything): starts the
// "My Favorite Quote" demo as three processes, waits until each one answers, and prints
// the URL to open.
//
//   gateway  packages/gateway's CLI, a sidecar on the embedded store    DEMO_GATEWAY_PORT (4001)
//   api      apps/quote-web/server: Like and the change form; seeds     DEMO_API_PORT     (4002)
//   web      Vite, serving the page and proxying /api and /v1           DEMO_WEB_PORT     (5173)
//
// The store: `--store embedded|fdb` or FDB_LIVE_STORE (default: embedded).
//   embedded  data in FDB_LIVE_DATA_DIR (default ./.fdb-live/data).
//   fdb       the FoundationDB cluster of FDB_LIVE_CLUSTER_FILE or FDB_CLUSTER_FILE; with
//             neither set, it builds and starts the libfdb_c TEST DOUBLE (test/fdb-double,
//             NOT FoundationDB: in memory, gone when the demo stops) and says so.
// Every part (gateway, API server, `pnpm change-quote`) uses the same store.
// DEMO_HOST (default 127.0.0.1).
// Auth is on: the gateway checks tokens with a random HS256 secret made at each start
// (or FDB_LIVE_AUTH_SECRET), which the API server shares to issue short-lived read-only
// tokens (DEMO_TOKEN_LIFETIME_SEC, default 60) that the page gets through `getToken`.
// DEMO_GATEWAY_URL: use a gateway that is already running on the same store instead of
// starting one (the e2e tests do this, to kill and restart it).
//
// Ctrl-C (SIGINT) or SIGTERM stops all of them. If a port is taken or a part fails to
// start, it says which, stops whatever it started, and exits non-zero.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SOURCE = ['--conditions=@fdb-live/source', '--import', 'tsx']
const START_TIMEOUT_MS = Number(process.env.DEMO_START_TIMEOUT_MS ?? 60_000)
const STOP_TIMEOUT_MS = 5_000

const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)
const say = (message) => console.log(`${paint('36', '[demo]')} ${message}`)
const complain = (message) => console.error(`${paint('31', '[demo]')} ${message}`)

const host = process.env.DEMO_HOST ?? '127.0.0.1'
const storeKind = storeFromArguments()
const dataDir = path.resolve(process.env.FDB_LIVE_DATA_DIR ?? path.join(root, '.fdb-live', 'data'))
/** With `--store fdb`: the cluster file, its environment, and the double if we started it. */
const fdb = storeKind === 'fdb' ? await prepareFdb() : undefined
/** The store flags of the gateway and the API server. */
const storeArgs = fdb
  ? ['--store', 'fdb', '--cluster-file', fdb.clusterFile]
  : ['--store', 'embedded', '--data-dir', dataDir]
const storeLabel = fdb ? fdb.label : `the embedded store in ${dataDir}`
const ports = {
  gateway: port('DEMO_GATEWAY_PORT', 4001),
  api: port('DEMO_API_PORT', 4002),
  web: port('DEMO_WEB_PORT', 5173),
}
// Shared by the gateway (FDB_LIVE_AUTH_SECRET) and the API server; never printed.
const authSecret = process.env.FDB_LIVE_AUTH_SECRET || randomBytes(32).toString('base64url')
const urlHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host
const externalGateway = process.env.DEMO_GATEWAY_URL?.replace(/\/$/, '')
const gatewayUrl = externalGateway ?? `http://${urlHost}:${ports.gateway}`
const apiUrl = `http://${urlHost}:${ports.api}`
const webUrl = `http://${urlHost}:${ports.web}/`

/** @type {{name: string, port: number, color: string, args: string[], cwd: string, env?: object, healthUrl: string}[]} */
const parts = [
  ...(externalGateway
    ? []
    : [
        {
          name: 'gateway',
          port: ports.gateway,
          color: '35',
          args: [
            ...SOURCE,
            'packages/gateway/src/cli.ts',
            'gateway',
            '--host',
            host,
            '--port',
            String(ports.gateway),
            ...storeArgs,
            // The demo starts on an empty directory the first time.
            ...(fdb ? [] : ['--create']),
            '--cors-origin',
            webUrl.replace(/\/$/, ''),
          ],
          cwd: root,
          env: { FDB_LIVE_AUTH_SECRET: authSecret },
          healthUrl: `${gatewayUrl}/v1/healthz`,
        },
      ]),
  {
    name: 'api',
    port: ports.api,
    color: '33',
    args: [
      ...SOURCE,
      'apps/quote-web/server/main.ts',
      '--port',
      String(ports.api),
      '--host',
      host,
      ...storeArgs,
      '--seed',
    ],
    cwd: root,
    env: { FDB_LIVE_AUTH_SECRET: authSecret },
    healthUrl: `${apiUrl}/api/healthz`,
  },
  {
    name: 'web',
    port: ports.web,
    color: '32',
    args: [
      path.join(root, 'apps/quote-web/node_modules/vite/bin/vite.js'),
      '--clearScreen',
      'false',
    ],
    cwd: path.join(root, 'apps/quote-web'),
    env: {
      DEMO_HOST: host,
      DEMO_WEB_PORT: String(ports.web),
      DEMO_GATEWAY_URL: gatewayUrl,
      DEMO_API_URL: apiUrl,
    },
    healthUrl: webUrl,
  },
]

/** @type {Map<string, import('node:child_process').ChildProcess>} */
const running = new Map()
let stopping = false

process.on('SIGINT', () => void stopAll('SIGINT', 0))
process.on('SIGTERM', () => void stopAll('SIGTERM', 0))
// Last resort (a bug in this script): never leave children behind.
process.on('exit', () => {
  for (const child of running.values()) killGroup(child, 'SIGKILL')
})

const started = Date.now()
for (const part of parts) {
  if (!(await isPortFree(part.port, host))) {
    complain(
      `Cannot start the ${part.name}: port ${part.port} is already in use on ${host}. ` +
        `Stop what uses it (\`lsof -i :${part.port}\`) or pick another port, e.g. ` +
        `${portVariable(part.name)}=${part.port + 10} pnpm demo`,
    )
    await stopDouble()
    process.exit(1)
  }
}
if (externalGateway)
  await waitHealthy({ name: 'gateway', port: ports.gateway, healthUrl: `${gatewayUrl}/v1/healthz` })

say(`starting ${parts.map((p) => `${p.name} (port ${p.port})`).join(', ')}; on ${storeLabel}`)
try {
  await Promise.all(
    parts.map(async (part) => {
      start(part)
      await waitHealthy(part)
      say(`${part.name} is up on port ${part.port}`)
    }),
  )
} catch (error) {
  complain(error instanceof Error ? error.message : String(error))
  await stopAll(undefined, 1)
}

say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n
  ${paint('1', 'My Favorite Quote:')}  ${paint('1;4', webUrl)}

  gateway:   ${gatewayUrl}${externalGateway ? ' (already running)' : ''}
  API:       ${apiUrl}
  store:     ${storeLabel}
  Change the quote from another terminal:
    ${fdb ? `FDB_LIVE_STORE=fdb FDB_CLUSTER_FILE=${fdb.clusterFile} ` : ''}pnpm change-quote "Captain America" "I can do this all day."
  Stop: Ctrl-C
`)
if (fdb?.double) warnDouble()

function start(part) {
  const child = spawn(process.execPath, part.args, {
    cwd: part.cwd,
    env: { ...process.env, FDB_LIVE_DATA_DIR: dataDir, ...fdb?.env, ...part.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that stopping it also stops anything it started.
    detached: true,
  })
  running.set(part.name, child)
  const prefix = paint(part.color, `[${part.name}]`.padEnd(9))
  for (const stream of [child.stdout, child.stderr]) {
    readline
      .createInterface({ input: stream })
      .on('line', (line) => console.log(`${prefix} ${line}`))
  }
  child.on('error', (error) => complain(`${part.name}: ${error.message}`))
  child.on('exit', (code, signal) => {
    running.delete(part.name)
    if (stopping) return
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`
    part.exited = `${part.name} (port ${part.port}) ${how}`
    if (part.healthy) {
      complain(`${part.exited}; stopping the others.`)
      void stopAll(undefined, 1)
    }
  })
  return child
}

async function waitHealthy(part) {
  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    if (part.exited)
      throw new Error(`The ${part.exited} before it was ready (see its output above).`)
    try {
      const response = await fetch(part.healthUrl, { signal: AbortSignal.timeout(2_000) })
      if (response.ok) {
        part.healthy = true
        return
      }
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      throw new Error(
        `The ${part.name} (port ${part.port}) did not answer at ${part.healthUrl} within ${START_TIMEOUT_MS / 1000} s.`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
}

async function stopAll(signal, exitCode) {
  if (stopping) return
  stopping = true
  if (signal) say(`${signal}: stopping ${[...running.keys()].join(', ') || 'nothing'}…`)
  const exits = [...running.values()].map(
    (child) =>
      new Promise((resolve) =>
        child.exitCode !== null || child.signalCode !== null
          ? resolve()
          : child.once('exit', resolve),
      ),
  )
  for (const child of running.values()) killGroup(child, 'SIGTERM')
  const timer = setTimeout(() => {
    for (const [name, child] of running) {
      complain(`${name} did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing it.`)
      killGroup(child, 'SIGKILL')
    }
  }, STOP_TIMEOUT_MS)
  await Promise.all(exits)
  clearTimeout(timer)
  if (fdb?.double) {
    say('stopping the libfdb_c test double (its data is gone with it)…')
    await stopDouble()
  }
  if (signal) say('stopped.')
  process.exit(exitCode)
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal)
  } catch {
    // Already gone.
  }
}

function isPortFree(portNumber, bindHost) {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ port: portNumber, host: bindHost, exclusive: true }, () =>
      server.close(() => resolve(true)),
    )
  })
}

function port(variable, fallback) {
  const raw = process.env[variable]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    complain(`${variable} must be a port number (1-65535), got ${JSON.stringify(raw)}.`)
    process.exit(2)
  }
  return value
}

function portVariable(name) {
  return { gateway: 'DEMO_GATEWAY_PORT', api: 'DEMO_API_PORT', web: 'DEMO_WEB_PORT' }[name]
}

/** `--store fdb` / `--store=fdb`, else FDB_LIVE_STORE, else the embedded store. */
function storeFromArguments() {
  const args = process.argv.slice(2)
  const index = args.findIndex((arg) => arg === '--store' || arg.startsWith('--store='))
  const given =
    index === -1
      ? process.env.FDB_LIVE_STORE || 'embedded'
      : args[index] === '--store'
        ? args[index + 1]
        : args[index].slice('--store='.length)
  if (given === 'embedded' || given === 'fdb') return given
  complain(`--store (or FDB_LIVE_STORE) must be "embedded" or "fdb", got ${JSON.stringify(given)}.`)
  process.exit(2)
}

/**
 * The FoundationDB cluster the demo runs on: FDB_LIVE_CLUSTER_FILE or FDB_CLUSTER_FILE, or
 * else a libfdb_c test double started here. Its `env` goes to every part, so that they all
 * load the same libfdb_c (LD_LIBRARY_PATH is read when a process starts) and use the same
 * cluster.
 */
async function prepareFdb() {
  const given = process.env.FDB_LIVE_CLUSTER_FILE || process.env.FDB_CLUSTER_FILE
  const doubleModule = () => import('@fdb-live/fdb-double')
  if (given) {
    const clusterFile = path.resolve(given)
    if (!isDoubleClusterFile(clusterFile)) {
      return {
        clusterFile,
        env: { FDB_LIVE_STORE: 'fdb', FDB_CLUSTER_FILE: clusterFile },
        label: `the FoundationDB cluster in ${clusterFile}`,
      }
    }
    const { libraryPath } = await doubleModule()
    return {
      clusterFile,
      env: {
        FDB_LIVE_STORE: 'fdb',
        FDB_CLUSTER_FILE: clusterFile,
        LD_LIBRARY_PATH: libraryPath(process.env.LD_LIBRARY_PATH),
      },
      label: `the libfdb_c TEST DOUBLE (not FoundationDB) in ${clusterFile}`,
    }
  }
  warnDouble()
  let double
  try {
    double = await (await doubleModule()).startFdbDouble()
  } catch (error) {
    complain(error instanceof Error ? error.message : String(error))
    process.exit(1)
  }
  return {
    clusterFile: double.clusterFile,
    env: { FDB_LIVE_STORE: 'fdb', ...double.env },
    label: `the libfdb_c TEST DOUBLE (not FoundationDB), cluster file ${double.clusterFile}`,
    double,
  }
}

/** Stops the test double this demo started, if any. */
async function stopDouble() {
  if (!fdb?.double) return
  // start.mjs unrefs the server process: once its output pipe closes, nothing else would
  // keep this process alive until the server's exit, and it would end (with code 0) before
  // removing the double's folder. Hold the event loop open until stop() is done.
  const keepAlive = setInterval(() => {}, 1_000)
  await fdb.double.stop()
  clearInterval(keepAlive)
}

function warnDouble() {
  const line = '!'.repeat(78)
  console.error(
    paint(
      '1;33',
      `${line}
!! --store fdb without FDB_CLUSTER_FILE: this demo runs on the libfdb_c TEST DOUBLE
!! (test/fdb-double), NOT on FoundationDB. The real \`foundationdb\` binding talks to a
!! stand-in written for this repository's tests; its data lives in memory and is gone
!! when the demo stops, and nothing you see says anything about FoundationDB itself.
!! For a real cluster: FDB_CLUSTER_FILE=/path/to/fdb.cluster pnpm demo --store fdb
${line}`,
    ),
  )
}

/** The double writes `fdbdouble:<id>@<socket>`; FoundationDB's own files never start so. */
function isDoubleClusterFile(file) {
  try {
    return readFileSync(file, 'utf8').startsWith('fdbdouble:')
  } catch {
    return false
  }
}
