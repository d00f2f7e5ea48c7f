/**
 * Loads the `foundationdb` npm binding on first use. It is an optional dependency whose
 * native module links `libfdb_c.so` at load time, so nothing may import it statically:
 * only asking for a store of kind `'fdb'` loads it.
 */
import type Fdb from 'foundationdb'
import { SyncError } from '../errors.js'

/** The `foundationdb` module (version 2.0.1), a CommonJS module. */
export type FdbBinding = typeof Fdb

/** The client release the install hint points at (the Docker image in docs/fdb.md matches). */
const CLIENT_VERSION = '7.3.69'

const INSTALL_HINT =
  `Install the FoundationDB client library: the foundationdb-clients package from ` +
  `FoundationDB's GitHub releases, e.g. https://github.com/apple/foundationdb/releases/download/` +
  `${CLIENT_VERSION}/foundationdb-clients_${CLIENT_VERSION}-1_amd64.deb (sudo dpkg -i <file>), ` +
  `which puts libfdb_c.so in /usr/lib. The optional npm package foundationdb@2.0.1 must be ` +
  `installed too (pnpm add foundationdb@2.0.1). See docs/fdb.md.`

let loading: Promise<FdbBinding> | undefined

/**
 * Imports the binding once per process. Rejects with `fdb_library_missing` when the npm
 * package is not installed or `libfdb_c.so` cannot be loaded.
 */
export function loadFdbBinding(): Promise<FdbBinding> {
  loading ??= import('foundationdb').then(
    // A CommonJS module imported from ESM. Node hands its `module.exports` over as
    // `default`; tsx honours the binding's `__esModule` flag instead and hands over the
    // exports themselves, with no `default` (so every process started from source with
    // `--import tsx` failed to load it).
    (mod: { default?: FdbBinding } & FdbBinding) => mod.default ?? mod,
    (error: unknown) => {
      throw missingLibraryError(error)
    },
  )
  return loading
}

/** The error for a binding that could not be loaded, with how to fix it. */
export function missingLibraryError(error: unknown): SyncError {
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error)
  const notInstalled =
    (error as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND' &&
    String(detail).includes('foundationdb')
  const lead = notInstalled
    ? `The optional npm package foundationdb is not installed (${detail}), and the ` +
      `FoundationDB store also needs the client library libfdb_c.so.`
    : `The FoundationDB client library libfdb_c.so could not be loaded (${detail}).`
  return new SyncError('fdb_library_missing', `${lead} ${INSTALL_HINT}`, { cause: error })
}
