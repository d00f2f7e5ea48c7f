import fs from 'node:fs'
import path from 'node:path'
import { open } from 'lmdb'
import type { Database, RootDatabase, Transaction } from 'lmdb'
import { SyncError } from '../errors.js'
import { counterBytes, counterFromBytes } from './lmdb-change-log.js'

/** The LMDB environment of one data directory and its named sub-databases. */
export interface LmdbDatabases {
  root: RootDatabase
  /** User keys and values. */
  data: Database<Buffer, Buffer>
  /** The commit counter (and room for other bookkeeping). */
  meta: Database<Buffer, Buffer>
  /** Commit counter → keys and ranges that commit changed (see lmdb-change-log.ts). */
  changes: Database<Buffer, Buffer>
}

/** LMDB reader slots, for all the processes on one data directory together. */
export const MAX_READERS = 1024

const COUNTER_KEY = Buffer.from('commit-counter')
const BINARY = { keyEncoding: 'binary', encoding: 'binary' } as const

/** The LMDB data file: a data directory without it holds no store. */
const DATA_FILE = 'data.mdb'

/**
 * Opens the LMDB environment in `dataDir`; with `create`, creates it if there is none.
 * Without `create`, a directory without a store is `store_not_found`: a store that was
 * moved away must not silently become a new, empty one that nobody else reads. Any other
 * failure becomes a `data_dir_unavailable` SyncError that names the directory.
 */
export function openLmdbDatabases(dataDir: string, create: boolean): LmdbDatabases {
  if (!create && !fs.existsSync(path.join(dataDir, DATA_FILE))) {
    throw new SyncError(
      'store_not_found',
      `There is no store in ${JSON.stringify(dataDir)} (no ${DATA_FILE}). If it was moved, point ` +
        'dataDir / --data-dir / FDB_LIVE_DATA_DIR at its new place; to start a new, empty ' +
        'store here, pass create: true (--create).',
    )
  }
  try {
    fs.mkdirSync(dataDir, { recursive: true })
    // Reader slots are shared by every process on the directory (LMDB's default is 126);
    // each transaction body in flight holds one (see lmdb-snapshots.ts).
    // noSubdir: false, or lmdb-js takes a directory named like tmp.ab12 for a file name.
    const root = open({ path: dataDir, noSubdir: false, maxDbs: 8, maxReaders: MAX_READERS })
    return {
      root,
      data: root.openDB<Buffer, Buffer>('data', BINARY),
      meta: root.openDB<Buffer, Buffer>('meta', BINARY),
      changes: root.openDB<Buffer, Buffer>('changes', BINARY),
    }
  } catch (error) {
    throw dataDirUnavailable(dataDir, error)
  }
}

/** The `data_dir_unavailable` error for `dataDir`, saying what to fix. */
export function dataDirUnavailable(dataDir: string, error: unknown): SyncError {
  const reason = error instanceof Error ? error.message : String(error)
  return new SyncError(
    'data_dir_unavailable',
    `Cannot open the embedded store's data directory ${JSON.stringify(dataDir)}: ${reason}. ` +
      'Use a directory this process can create, read and write (set dataDir or FDB_LIVE_DATA_DIR), ' +
      'on a local file system (LMDB needs memory-mapped files and file locks).',
    { cause: error },
  )
}

/**
 * The number of the last committed write transaction (0 before the first). Reads from
 * `transaction` when given, otherwise from the write transaction in progress or the
 * latest snapshot.
 */
export function readCounter(dbs: LmdbDatabases, transaction?: Transaction): number {
  const bytes =
    transaction === undefined
      ? dbs.meta.get(COUNTER_KEY)
      : dbs.meta.get(COUNTER_KEY, { transaction })
  return bytes === undefined ? 0 : counterFromBytes(bytes)
}

/** Stores the commit counter; call inside a write transaction. */
export function writeCounter(dbs: LmdbDatabases, commit: number): void {
  dbs.meta.putSync(COUNTER_KEY, counterBytes(commit))
}
