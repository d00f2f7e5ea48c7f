/**
 * An in-memory Web Locks `LockManager` (exclusive locks only) shared by several clients in
 * one test, standing in for the browser's per-origin lock manager (jsdom and Node 20 have
 * none).
 */
export function createMemoryLocksForTesting(): LockManager {
  const held = new Set<string>()
  const queues = new Map<string, (() => void)[]>()

  const acquire = (name: string): Promise<void> => {
    if (!held.has(name)) {
      held.add(name)
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const queue = queues.get(name) ?? []
      queue.push(resolve)
      queues.set(name, queue)
    })
  }
  const releaseLock = (name: string): void => {
    const next = queues.get(name)?.shift()
    if (next === undefined) held.delete(name)
    else next()
  }
  const aborted = (): DOMException => new DOMException('The request was aborted.', 'AbortError')

  const request = async (
    name: string,
    optionsOrCallback: LockOptions | LockGrantedCallback<unknown>,
    maybeCallback?: LockGrantedCallback<unknown>,
  ): Promise<unknown> => {
    const options = typeof optionsOrCallback === 'function' ? {} : optionsOrCallback
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback!
    const { signal } = options
    if (signal?.aborted) throw aborted()
    const waiting = acquire(name)
    if (signal !== undefined) {
      let onAbort!: () => void
      const abortion = new Promise<'aborted'>((resolve) => {
        onAbort = () => resolve('aborted')
        signal.addEventListener('abort', onAbort, { once: true })
      })
      const outcome = await Promise.race([waiting.then(() => 'granted' as const), abortion])
      signal.removeEventListener('abort', onAbort)
      if (outcome === 'aborted') {
        // Aborted while queued: hand the lock on as soon as it would have been granted.
        void waiting.then(() => releaseLock(name))
        throw aborted()
      }
    } else {
      await waiting
    }
    try {
      return await callback({ name, mode: 'exclusive' })
    } finally {
      releaseLock(name)
    }
  }

  return { request, query: () => Promise.resolve({ held: [], pending: [] }) } as LockManager
}
