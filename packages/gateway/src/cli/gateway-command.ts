import { Command, Option } from 'commander'
import { DEFAULT_CORS_ORIGINS } from '../create-gateway.js'
import { createLogger } from '../logger.js'
import { openStoreInBackground } from '../background-store.js'
import { startGateway } from '../server.js'
import {
  addStoreOptions,
  openStoreFromFlags,
  parseMaxCollectionSize,
  parseOrigins,
  parsePort,
  type StoreFlags,
} from './options.js'
import { addSecurityOptions, securityFromFlags, type SecurityFlags } from './security-options.js'
import { parseWorkers, reportListening, runPrimary, workerId } from './workers.js'

interface GatewayFlags extends StoreFlags, SecurityFlags {
  port: number
  host: string
  corsOrigin?: string[]
  workers: number
  maxCollectionSize?: number
}

/** Longest a shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 4500

/** `fdb-live gateway`: serve the protocol until SIGTERM/SIGINT, then shut down within 5 s. */
export function gatewayCommand(): Command {
  const command = new Command('gateway')
    .description('serve records as Server-Sent Events (docs/protocol.md)')
    .addOption(
      new Option('--port <port>', 'port to listen on (0: any free port)')
        .default(4001)
        .argParser(parsePort)
        .env('FDB_LIVE_PORT'),
    )
    .addOption(
      new Option('--host <host>', 'interface to bind').default('127.0.0.1').env('FDB_LIVE_HOST'),
    )
    .addOption(
      new Option(
        '--cors-origin <origin...>',
        `browser origins allowed, or * (default: ${DEFAULT_CORS_ORIGINS.join(', ')})`,
      )
        .argParser(parseOrigins)
        .env('FDB_LIVE_CORS_ORIGIN'),
    )
    .addOption(
      new Option(
        '--workers <n>',
        'gateway processes behind the one port (node:cluster), each with its own watches; auto: one per core',
      )
        .default(1)
        .argParser(parseWorkers)
        .env('FDB_LIVE_WORKERS'),
    )
    .addOption(
      new Option(
        '--max-collection-size <n>',
        'largest collection a stream may subscribe to; a larger one gets collection_too_large (default 10000)',
      )
        .argParser(parseMaxCollectionSize)
        .env('FDB_LIVE_MAX_COLLECTION_SIZE'),
    )
  return addSecurityOptions(addStoreOptions(command)).action(async (flags: GatewayFlags) => {
    const logger = createLogger()
    const worker = workerId()
    if (flags.workers > 1 && worker === undefined) {
      // Fail on bad security flags here, once, rather than in every worker.
      securityFromFlags(flags, flags.host, logger, (message) =>
        command.error(message, { exitCode: 2 }),
      )
      await createEmbeddedStoreOnce(flags)
      runPrimary(flags.workers, logger)
      return
    }
    const security = securityFromFlags(flags, flags.host, logger, (message) =>
      command.error(message, { exitCode: 2 }),
    )
    // The embedded store reports a degraded commit notification as a process warning.
    process.on('warning', (warning) => {
      const { code } = warning as Error & { code?: unknown }
      logger.warn({ code }, warning.message)
    })
    const store = openStoreInBackground({
      kind: flags.store,
      open: () => openStoreFromFlags(flags),
      logger,
    })
    // Bad configuration still fails at once; a store that is only missing or away is waited for.
    await store.firstAttempt
    const origins = flags.corsOrigin
    const running = await startGateway({
      store,
      root: flags.root,
      logger,
      port: flags.port,
      host: flags.host,
      ...security,
      ...(worker === undefined ? {} : { responseHeaders: { 'X-Fdb-Live-Worker': String(worker) } }),
      ...(origins === undefined ? {} : { corsOrigins: origins.includes('*') ? '*' : origins }),
      ...(flags.maxCollectionSize === undefined
        ? {}
        : { maxCollectionSize: flags.maxCollectionSize }),
    })
    if (worker === undefined) {
      logger.info({ url: running.url, store: store.kind }, 'gateway listening')
      process.stdout.write(`fdb-live gateway listening on ${running.url}\n`)
    } else {
      // The primary prints the one "listening" line once every worker is there.
      logger.info({ url: running.url, store: store.kind, worker }, 'gateway worker listening')
      reportListening(running.url)
    }

    let shuttingDown = false
    const shutdown = async (signal: string): Promise<void> => {
      if (shuttingDown) return
      shuttingDown = true
      logger.info({ signal }, 'shutting down')
      const deadline = setTimeout(() => {
        logger.error('shutdown took too long; exiting anyway')
        process.exit(1)
      }, SHUTDOWN_DEADLINE_MS)
      deadline.unref()
      try {
        await running.close()
        await store.close()
        logger.flush()
        process.exit(0)
      } catch (error) {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      }
    }
    process.once('SIGTERM', () => void shutdown('SIGTERM'))
    process.once('SIGINT', () => void shutdown('SIGINT'))
  })
}

/**
 * With `--create`, N workers would race to create one new embedded store: the primary
 * creates it first. A store it cannot open yet is left to the workers, which wait for it.
 */
async function createEmbeddedStoreOnce(flags: GatewayFlags): Promise<void> {
  if (flags.store !== 'embedded' || flags.create !== true) return
  try {
    await (await openStoreFromFlags(flags)).close()
  } catch {
    // The workers report it (and serve 503 until it can be opened).
  }
}
