import { InvalidArgumentError, Option, type Command } from 'commander'
import { openStore, type KvStore } from '@fdb-live/core'

/** The store flags every command takes. */
export interface StoreFlags {
  store: 'embedded' | 'fdb'
  dataDir: string
  clusterFile?: string
  maxWatches?: number
  create?: boolean
  root: string
}

/** Adds `--store`, `--data-dir`, `--cluster-file`, `--max-watches`, `--root` (and their FDB_LIVE_* variables). */
export function addStoreOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--store <kind>', 'which store to open')
        .choices(['embedded', 'fdb'])
        .default('embedded')
        .env('FDB_LIVE_STORE'),
    )
    .addOption(
      new Option('--data-dir <dir>', 'data directory of the embedded store')
        .default('.fdb-live/data')
        .env('FDB_LIVE_DATA_DIR'),
    )
    .addOption(
      new Option(
        '--create',
        'create a new, empty embedded store if --data-dir holds none (otherwise: store_not_found)',
      ),
    )
    .addOption(
      new Option('--cluster-file <file>', 'FoundationDB cluster file (--store fdb)').env(
        'FDB_LIVE_CLUSTER_FILE',
      ),
    )
    .addOption(
      new Option(
        '--max-watches <n>',
        'store watches this process may hold, one per subscribed record (FoundationDB max_watches; default 10000)',
      )
        .argParser(parseMaxWatches)
        .env('FDB_LIVE_MAX_WATCHES'),
    )
    .addOption(
      new Option(
        '--root <root>',
        "the records' key root (docs/data-layout.md): several apps can share one store or cluster",
      )
        .default('fdb-live')
        .env('FDB_LIVE_ROOT'),
    )
}

/** `--max-watches`: an integer 1–1,000,000 (FoundationDB's ceiling for max_watches). */
export function parseMaxWatches(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1 || n > 1_000_000)
    throw new InvalidArgumentError('expected a whole number of watches from 1 to 1000000.')
  return n
}

/** `--max-collection-size`: a whole number of members, at least 1. */
export function parseMaxCollectionSize(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1 || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('expected a whole number of members, at least 1.')
  return n
}

/** Opens the store the flags describe. */
export function openStoreFromFlags(flags: StoreFlags): Promise<KvStore> {
  const maxWatches = flags.maxWatches === undefined ? {} : { maxWatches: flags.maxWatches }
  if (flags.store === 'fdb') {
    return openStore({
      kind: 'fdb',
      ...(flags.clusterFile === undefined ? {} : { clusterFile: flags.clusterFile }),
      ...maxWatches,
    })
  }
  return openStore({
    kind: 'embedded',
    dataDir: flags.dataDir,
    create: flags.create === true,
    ...maxWatches,
  })
}

/** `--port`: an integer 0–65535 (0 picks a free port). */
export function parsePort(value: string): number {
  const port = Number(value)
  if (!/^\d+$/.test(value) || port > 65535)
    throw new InvalidArgumentError('expected a port number 0-65535.')
  return port
}

/** `--cors-origin`: repeatable and comma-separated (as FDB_LIVE_CORS_ORIGIN is). */
export function parseOrigins(value: string, previous: string[] | undefined): string[] {
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0)
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new InvalidArgumentError(
        `${JSON.stringify(origin)} is not an origin like http://localhost:5173 or *.`,
      )
    }
  }
  return [...(previous ?? []), ...origins]
}
