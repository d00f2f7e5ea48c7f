import { describe, expect, it, vi } from 'vitest'
import { isSyncError } from '../errors.js'
import { FdbKvWatch, type WatchRegistry } from './fdb-watch.js'

/** Stands in for the binding's `{ promise, cancel }` watch. */
function fakeNativeWatch() {
  let settle!: { resolve: (fired: boolean) => void; reject: (error: unknown) => void }
  const promise = new Promise<boolean>((resolve, reject) => (settle = { resolve, reject }))
  return { promise, cancel: vi.fn(), settle }
}

describe('FdbKvWatch', () => {
  it('resolves true when the native watch fires, and leaves the registry', async () => {
    const registry: WatchRegistry = new Set()
    const native = fakeNativeWatch()
    const watch = new FdbKvWatch(native, registry)
    expect(registry.has(watch)).toBe(true)
    native.settle.resolve(true)
    await expect(watch.changed).resolves.toBe(true)
    expect(registry.size).toBe(0)
  })

  it('resolves false at once on cancel, cancels the native watch, and is idempotent', async () => {
    const registry: WatchRegistry = new Set()
    const native = fakeNativeWatch()
    const watch = new FdbKvWatch(native, registry)
    watch.cancel()
    watch.cancel()
    await expect(watch.changed).resolves.toBe(false)
    expect(native.cancel).toHaveBeenCalledTimes(1)
    expect(registry.size).toBe(0)
  })

  it('rejects with a SyncError on a FoundationDB error', async () => {
    const native = fakeNativeWatch()
    const watch = new FdbKvWatch(native, new Set())
    native.settle.reject(Object.assign(new Error('too_many_watches'), { code: 1032 }))
    const error: unknown = await watch.changed.catch((e: unknown) => e)
    expect(isSyncError(error, 'too_many_watches')).toBe(true)
  })

  it('resolves false when its transaction ended with commit_unknown_result: it never became active', async () => {
    const registry: WatchRegistry = new Set()
    const native = fakeNativeWatch()
    const watch = new FdbKvWatch(native, registry)
    native.settle.reject(Object.assign(new Error('commit_unknown_result'), { code: 1021 }))
    await expect(watch.changed).resolves.toBe(false)
    expect(registry.size).toBe(0)
  })
})
