import { isSyncError } from '../errors.js'
import type { Schema } from '../schema.js'
import type { RecordState, TenantRepo, WatchRecordOptions } from './types.js'

const MIN_BACKOFF_MS = 50
const MAX_BACKOFF_MS = 5_000

/**
 * The seed's mini sync engine as an async iterator:
 *
 *   read + watch (one transaction) ─► yield if newer ─► wait for the fire ─┐
 *        ▲                                                                 │
 *        └──────────────────── re-read and re-arm ◄────────────────────────┘
 *
 * A fire only means "go and look", so a state is yielded only when its version is newer
 * than the last one yielded. Watch errors back off and re-arm; `too_many_watches` and a
 * closed store end the iteration with that error.
 */
export async function* watchRecord<T>(
  repo: TenantRepo,
  schema: Schema<T>,
  id: string,
  options: WatchRecordOptions = {},
): AsyncGenerator<RecordState<T>, void, undefined> {
  const { signal } = options
  let last = options.since
  let backoffMs = MIN_BACKOFF_MS
  while (!signal?.aborted) {
    const { state, watch } = await repo.transact(async (tx) => ({
      state: await tx.getState(schema, id),
      watch: tx.watch(schema, id),
    }))
    const onAbort = (): void => watch.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      if (last === undefined || state.version > last) {
        last = state.version
        yield state
      }
      if (!(await watch.changed)) return
      backoffMs = MIN_BACKOFF_MS
    } catch (error) {
      if (isSyncError(error, 'too_many_watches') || isSyncError(error, 'store_closed')) throw error
      await delay(backoffMs, signal)
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)
    } finally {
      signal?.removeEventListener('abort', onAbort)
      watch.cancel()
    }
  }
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms * (0.5 + Math.random() / 2))
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })
}
