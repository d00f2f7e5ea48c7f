import { SyncError } from '../errors.js'
import { STORE_BACKOFF, backoffDelayMs, retrying, wait } from '../retry.js'
import type { Schema } from '../schema.js'
import type { RecordState, TenantRepo, WatchRecordOptions } from './types.js'

/**
 * The seed's mini sync engine as an async iterator:
 *
 *   readAndWatch ─► yield if newer ─► wait for the fire ─┐
 *        ▲                                               │
 *        └────────────── re-read and re-arm ◄────────────┘
 *
 * A fire only means "go and look", so a state is yielded only when its version is newer
 * than the last one yielded. Retryable errors (`RETRYABLE_CODES`) and watches that end
 * without a fire back off and look again; any other error (`too_many_watches`, a closed
 * store, a bug) ends the iteration with that error.
 */
export async function* watchRecord<T>(
  repo: TenantRepo,
  schema: Schema<T>,
  id: string,
  options: WatchRecordOptions = {},
): AsyncGenerator<RecordState<T>, void, undefined> {
  const { signal } = options
  let last = options.since
  let failures = 0
  // A function: TypeScript would otherwise keep `aborted` narrowed across the awaits.
  const aborted = (): boolean => signal?.aborted === true
  const backOff = (): Promise<void> => wait(backoffDelayMs(failures++, STORE_BACKOFF), signal)
  while (!aborted()) {
    let armed
    try {
      armed = await retrying(() => repo.readAndWatch(schema, id), signal ? { signal } : {})
    } catch (error) {
      if (aborted()) return
      throw error
    }
    const { state, watch } = armed
    const onAbort = (): void => watch.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      if (last === undefined || state.version > last) {
        last = state.version
        yield state
      }
      if (await watch.changed) failures = 0
      else if (!aborted()) await backOff()
    } catch (error) {
      if (!(error instanceof SyncError) || !error.retryable) throw error
      await backOff()
    } finally {
      signal?.removeEventListener('abort', onAbort)
      watch.cancel()
    }
  }
}
