import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger } from 'pino'

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** @default process.env.FDB_LIVE_LOG_LEVEL ?? 'info' */
  level?: LevelWithSilent
}

/**
 * Structured JSON logs on stderr (stdout stays free for the CLI's data commands). Pipe
 * through `pino-pretty` to read them in a terminal.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level =
    options.level ?? (process.env.FDB_LIVE_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info'
  return pino({ name: 'fdb-live-gateway', level }, pino.destination({ fd: 2, sync: false }))
}
