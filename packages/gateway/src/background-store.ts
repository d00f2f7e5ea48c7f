import {
  STORE_BACKOFF,
  SyncError,
  retrying,
  toSyncError,
  type BackoffOptions,
  type KvStore,
  type StoreKind,
} from '@fdb-live/core'
import type { Logger } from 'pino'

/** Options for {@link openStoreInBackground}. */
export interface BackgroundStoreOptions {
  kind: StoreKind
  /** Opens the store once; called again with backoff while it rejects with a retryable error. */
  open: () => Promise<KvStore>
  logger: Logger
  /** @default STORE_BACKOFF (50 ms … 5 s) */
  backoff?: BackoffOptions
}

/** A store that may not be open yet. */
export interface BackgroundStore extends KvStore {
  /**
   * Settles after the first attempt: resolves whether it opened the store or failed in a
   * way worth waiting out (`RETRYABLE_CODES`), rejects with any other error (bad config).
   */
  readonly firstAttempt: Promise<void>
}

/**
 * A gateway must outlive its store: started while the store is missing or unreachable, it
 * serves anyway (health answers 503, streams are refused for now, watches back off) and
 * opens the store as soon as it can, instead of exiting and staying down. Until then
 * every call rejects with `store_unavailable`, which all of the gateway already retries.
 */
export function openStoreInBackground(options: BackgroundStoreOptions): BackgroundStore {
  const { logger } = options
  const stop = new AbortController()
  let store: KvStore | undefined
  let reason: SyncError | undefined
  let markFirst: (error?: SyncError) => void = () => {}
  const firstAttempt = new Promise<void>((resolve, reject) => {
    markFirst = (error) => (error === undefined || error.retryable ? resolve() : reject(error))
  })
  firstAttempt.catch(() => {})

  retrying(options.open, {
    signal: stop.signal,
    backoff: options.backoff ?? STORE_BACKOFF,
    onRetry: (error, attempt) => {
      reason = error
      if (attempt === 0) markFirst(error)
      logger.warn({ code: error.code, err: error }, 'the store is not available yet; retrying')
    },
  }).then(
    async (opened) => {
      if (stop.signal.aborted) return opened.close()
      store = opened
      reason = undefined
      markFirst()
      logger.info({ store: options.kind }, 'store opened')
    },
    (error: unknown) => {
      const syncError = toSyncError(error)
      markFirst(syncError)
      if (!stop.signal.aborted) logger.error({ err: error }, 'the store cannot be opened')
    },
  )

  const unavailable = (): Promise<never> =>
    Promise.reject(
      new SyncError(
        'store_unavailable',
        `The store is not open yet${reason ? ` (${reason.code})` : ''}; the gateway keeps trying.`,
        { cause: reason },
      ),
    )
  return {
    kind: options.kind,
    firstAttempt,
    transact: (body, transactOptions) =>
      store === undefined ? unavailable() : store.transact(body, transactOptions),
    ping: () => (store === undefined ? unavailable() : store.ping()),
    close: async () => {
      stop.abort()
      await store?.close()
    },
  }
}
