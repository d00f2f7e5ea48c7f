import path from 'node:path'
import { SyncError } from './errors.js'
import type { KvStore } from './kv/store.js'

/** The embedded store (default): LMDB in a local directory, no server to install. */
export interface EmbeddedStoreConfig {
  kind?: 'embedded'
  /**
   * Where the data lives. Several processes may open the same directory at once.
   * @default process.env.FDB_LIVE_DATA_DIR ?? './.fdb-live/data'
   */
  dataDir?: string
  /** Most outstanding watches for this process (as FoundationDB's `max_watches`). @default 10000 */
  maxWatches?: number
  /**
   * Create a new, empty store when `dataDir` holds none. Without it, a missing store is
   * `store_not_found`, so a store that was moved away is reported instead of silently
   * replaced by an empty one that no other process reads. @default false
   */
  create?: boolean
}

/** A FoundationDB cluster through the `foundationdb` npm binding (needs libfdb_c). */
export interface FdbStoreConfig {
  kind: 'fdb'
  /** @default process.env.FDB_CLUSTER_FILE, else the client library's default cluster file */
  clusterFile?: string
  /** Database option `max_watches` (FoundationDB's default is 10,000; at most 1,000,000). */
  maxWatches?: number
}

/** What {@link openStore} opens. */
export type StoreConfig = EmbeddedStoreConfig | FdbStoreConfig

/**
 * Opens a store: the embedded LMDB store by default, or FoundationDB with `kind: 'fdb'`.
 * The FoundationDB binding is loaded only when asked for, so installing and running the
 * embedded store never needs the FoundationDB client library.
 */
export async function openStore(config: StoreConfig = {}): Promise<KvStore> {
  const kind: unknown = config.kind ?? 'embedded'
  if (config.kind === 'fdb') {
    const { openFdbStore } = await import('./kv/fdb-store.js')
    const clusterFile = config.clusterFile ?? process.env['FDB_CLUSTER_FILE']
    return openFdbStore({
      ...(clusterFile === undefined ? {} : { clusterFile }),
      ...(config.maxWatches === undefined ? {} : { maxWatches: config.maxWatches }),
    })
  }
  if (kind !== 'embedded') {
    throw new SyncError(
      'invalid_config',
      `Unknown store kind ${JSON.stringify(kind)}: use "embedded" or "fdb".`,
    )
  }
  const { openLmdbStore } = await import('./kv/lmdb-store.js')
  const dataDir = path.resolve(
    config.dataDir ?? process.env['FDB_LIVE_DATA_DIR'] ?? './.fdb-live/data',
  )
  return openLmdbStore({
    dataDir,
    create: config.create ?? false,
    ...(config.maxWatches === undefined ? {} : { maxWatches: config.maxWatches }),
  })
}
