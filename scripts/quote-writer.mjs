// Runs one of the demo's writer commands (apps/quote-web/server/*.ts) as a separate process
// on the demo's store: `pnpm change-quote …` and `pnpm add-quote …` (scripts/*.mjs).
//
// The store is the demo's: the embedded store in FDB_LIVE_DATA_DIR (default
// ./.fdb-live/data), or with `--store fdb` / FDB_LIVE_STORE=fdb the FoundationDB cluster of
// `--cluster-file` / FDB_LIVE_CLUSTER_FILE / FDB_CLUSTER_FILE. A cluster file written by the
// libfdb_c test double (`pnpm demo --store fdb` starts one) gets the double's libfdb_c.so.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** Runs `script` (relative to the repository) with `args`; exits with its exit code. */
export async function runQuoteWriter(name, script, args) {
  const dataDir = path.resolve(
    process.env.FDB_LIVE_DATA_DIR ?? path.join(root, '.fdb-live', 'data'),
  )
  const flag = (flagName) => {
    const index = args.findIndex((arg) => arg === flagName || arg.startsWith(`${flagName}=`))
    if (index === -1) return undefined
    return args[index] === flagName ? args[index + 1] : args[index].slice(flagName.length + 1)
  }
  const store = flag('--store') ?? process.env.FDB_LIVE_STORE ?? 'embedded'
  const env = { ...process.env }

  if (store === 'fdb') {
    const clusterFile =
      flag('--cluster-file') ?? process.env.FDB_LIVE_CLUSTER_FILE ?? process.env.FDB_CLUSTER_FILE
    if (clusterFile !== undefined && isDoubleClusterFile(clusterFile)) {
      const { libraryPath } = await import('@fdb-live/fdb-double')
      // Read by the binding's addon when the child starts: it must be set before, not in it.
      env.LD_LIBRARY_PATH = libraryPath(process.env.LD_LIBRARY_PATH)
      console.error(
        `${name}: writing to the libfdb_c TEST DOUBLE (not FoundationDB) in ${clusterFile}`,
      )
    }
  }

  const child = spawn(
    process.execPath,
    [
      '--conditions=@fdb-live/source',
      '--import',
      'tsx',
      script,
      ...(store === 'fdb' ? [] : ['--data-dir', dataDir]),
      ...args,
    ],
    { cwd: root, stdio: 'inherit', env },
  )
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)))
}

/** The double writes `fdbdouble:<id>@<socket>`; FoundationDB's own files never start so. */
function isDoubleClusterFile(file) {
  try {
    return readFileSync(file, 'utf8').startsWith('fdbdouble:')
  } catch {
    return false
  }
}
