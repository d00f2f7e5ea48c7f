import { SyncError, openStore } from '@fdb-live/core'
import type { KvStore } from '@fdb-live/core'

/** The two stores the demo runs on. */
export type DemoStoreKind = 'embedded' | 'fdb'

/** Where the demo's records live: the same for the gateway, the API server and change-quote. */
export interface DemoStoreFlags {
  /** `--store`, else `FDB_LIVE_STORE`. @default 'embedded' */
  store?: string | undefined
  /** `--data-dir` (embedded store). @default the embedded store's default */
  dataDir?: string | undefined
  /** `--cluster-file` (FoundationDB), else `FDB_LIVE_CLUSTER_FILE`, else the client's default (`FDB_CLUSTER_FILE`, …). */
  clusterFile?: string | undefined
  /** Start a new embedded store when there is none. @default false */
  create?: boolean
}

/** Parses the store kind; anything else is `invalid_request` naming the choices. */
export function demoStoreKind(store: string | undefined): DemoStoreKind {
  const kind = store ?? process.env['FDB_LIVE_STORE'] ?? 'embedded'
  if (kind === 'embedded' || kind === 'fdb') return kind
  throw new SyncError(
    'invalid_request',
    `--store (or FDB_LIVE_STORE) must be "embedded" or "fdb", got ${JSON.stringify(kind)}.`,
  )
}

/** Opens the store the flags name, as `fdb-live gateway --store …` does. */
export function openDemoStore(flags: DemoStoreFlags): Promise<KvStore> {
  if (demoStoreKind(flags.store) === 'fdb') {
    const clusterFile = flags.clusterFile ?? process.env['FDB_LIVE_CLUSTER_FILE']
    return openStore({ kind: 'fdb', ...(clusterFile === undefined ? {} : { clusterFile }) })
  }
  return openStore({
    kind: 'embedded',
    create: flags.create === true,
    ...(flags.dataDir === undefined ? {} : { dataDir: flags.dataDir }),
  })
}

/** The `parseArgs` options for the flags above. */
export const DEMO_STORE_OPTIONS = {
  store: { type: 'string' },
  'data-dir': { type: 'string' },
  'cluster-file': { type: 'string' },
} as const
