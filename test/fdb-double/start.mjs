// Builds the libfdb_c test double (not FoundationDB) and starts its server, for tests,
// benchmarks and the demo. Plain Node.js, so every part of the repo can use it.
//
//   import { startFdbDouble } from '@fdb-live/fdb-double'
//   const double = await startFdbDouble()      // double.clusterFile, double.env
//   ...; await double.stop()
//
// By hand:  node test/fdb-double/start.mjs    (prints the environment to use, runs until Ctrl-C)
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
/** The folder holding the double's `libfdb_c.so`: put it on LD_LIBRARY_PATH before node starts. */
export const libraryDir = path.join(here, 'build')
export const serverBinary = path.join(libraryDir, 'fdb-double-server')

/** Builds the library and server with make (quick when nothing changed). Throws with make's output. */
export function buildFdbDouble() {
  const result = spawnSync('make', ['-s', '-C', here, 'all'], { encoding: 'utf8' })
  if (result.error || result.status !== 0) {
    throw new Error(
      `fdb-double: building the libfdb_c test double failed (make -C ${here}): ` +
        `${result.error?.message ?? ''}${result.stdout}${result.stderr}`.trim() +
        '\nIt needs a C compiler (cc) and make.',
    )
  }
}

/** LD_LIBRARY_PATH with the double's folder first. */
export function libraryPath(current = process.env.LD_LIBRARY_PATH) {
  return [
    libraryDir,
    ...(current ? current.split(':').filter((p) => p && p !== libraryDir) : []),
  ].join(':')
}

/**
 * Starts an fdb-double-server on a fresh socket and cluster file.
 * @param {{ buggify?: string, dir?: string }} [options] `buggify`: the FDB_DOUBLE_BUGGIFY
 *   value ("<seed>[,knob=value…]", see README.md) for a server with fault injection.
 * @returns {Promise<{ clusterFile: string, socket: string, env: Record<string,string>,
 *   restart(): Promise<void>, stop(): Promise<void> }>}
 */
export async function startFdbDouble(options = {}) {
  buildFdbDouble()
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fdb-double-'))
  const socket = path.join(dir, 'fdb.sock')
  const clusterFile = path.join(dir, 'fdb.cluster')
  let child = await launch(socket, clusterFile, options.buggify)
  const env = {
    FDB_CLUSTER_FILE: clusterFile,
    LD_LIBRARY_PATH: libraryPath(),
    FDB_LIVE_FDB_TARGET: 'double',
  }
  const stopChild = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      // Unreferenced since it started: without this, a process with nothing else to do
      // could end before the exit arrives, its await unsettled (Node's exit code 13).
      child.ref()
      child.kill('SIGTERM')
    })
  return {
    clusterFile,
    socket,
    env,
    /** Kills the server and starts a new one on the same socket: an empty cluster. */
    async restart() {
      await stopChild()
      child = await launch(socket, clusterFile, options.buggify)
    },
    async stop() {
      await stopChild()
      if (!options.dir) fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

function launch(socket, clusterFile, buggify) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env }
    if (buggify) env.FDB_DOUBLE_BUGGIFY = buggify
    else delete env.FDB_DOUBLE_BUGGIFY
    const child = spawn(serverBinary, ['--socket', socket, '--cluster-file', clusterFile], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
      if (process.env.FDB_DOUBLE_VERBOSE) process.stderr.write(chunk)
    })
    child.once('error', reject)
    child.once('exit', (code) =>
      reject(new Error(`fdb-double-server exited (${code}) before it was ready: ${stderr.trim()}`)),
    )
    child.stdout.once('data', () => {
      child.removeAllListeners('exit')
      child.unref()
      child.stdout.destroy()
      resolve(child)
    })
  })
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const double = await startFdbDouble({ buggify: process.env.FDB_DOUBLE_BUGGIFY })
  console.log('fdb-double: a libfdb_c TEST DOUBLE is running (not FoundationDB). Use:')
  for (const [key, value] of Object.entries(double.env)) console.log(`  export ${key}=${value}`)
  console.log('Ctrl-C stops it.')
  const stop = () => void double.stop().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  setInterval(() => {}, 1 << 30)
}
