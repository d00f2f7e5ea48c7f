import { describe, expect, it } from 'vitest'
import { WatchRegistry } from './lmdb-watch-registry.js'
import type { LmdbWatch } from './lmdb-watch-registry.js'

/** Arms a watch on `id` that saw the database as of commit `baseline`. */
function armed(registry: WatchRegistry, id: string, baseline = 0): LmdbWatch {
  const watch = registry.create(id)
  registry.activate(watch, baseline)
  return watch
}

/** A record head and its chunk range, as the repo lays them out (docs/data-layout.md). */
const chunks = (head: string): [string, string] => [`${head}\x00`, `${head}\xff`]

describe('WatchRegistry', () => {
  it('fires the watches under a cleared range, and only those', async () => {
    const registry = new WatchRegistry(100_000, () => undefined)
    const heads = Array.from({ length: 1000 }, (_, i) => `rec/${String(i).padStart(4, '0')}`)
    const watches = heads.map((head) => armed(registry, head))
    const chunk = armed(registry, `${heads[500]}\x00\x01`)

    registry.fireRange('rec/0100', 'rec/0103', 1)
    expect(watches.map((w, i) => (w.state === 'done' ? i : -1)).filter((i) => i >= 0)).toEqual([
      100, 101, 102,
    ])
    expect(await watches[100]!.changed).toBe(true)

    // A record write clears its chunks: it covers a watched chunk key but no head.
    registry.fireRange(...chunks(heads[500]!), 2)
    expect(chunk.state).toBe('done')
    expect(await chunk.changed).toBe(true)
    for (const head of heads) registry.fireRange(...chunks(head), 3)
    registry.fireRange('rec/0103\x00', 'rec/0104', 3)
    expect(watches.filter((w) => w.state === 'done')).toHaveLength(3)
    expect(registry.activeCount).toBe(997)
  })

  it('leaves watches as new as the commit alone, and fires them on a later one', () => {
    const registry = new WatchRegistry(10, () => undefined)
    const watch = armed(registry, 'k', 5)
    registry.fireRange('a', 'z', 5)
    expect(watch.state).toBe('active')
    registry.fireRange('a', 'z', 6)
    expect(watch.state).toBe('done')
  })

  it('fires exactly what a scan of every watched key fires, through churn (re-armed and cancelled watches)', () => {
    let seed = 7
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    const registry = new WatchRegistry(100_000, () => undefined)
    const live = new Set<LmdbWatch>()
    const key = (): string => `k${Math.floor(random() * 400)}${random() < 0.2 ? '\x00' : ''}`
    for (let commit = 1; commit <= 5000; commit++) {
      for (let i = 0; i < 3; i++) live.add(armed(registry, key(), commit - 1))
      if (random() < 0.3) {
        const victim = [...live][Math.floor(random() * live.size)]
        victim?.cancel()
        if (victim !== undefined) live.delete(victim)
      }
      const [a, b] = [key(), key()]
      const [start, end] = a < b ? [a, b] : [b, a]
      const single = key()
      const expected = [...live].filter((w) => w.id === single || (w.id >= start && w.id < end))
      registry.fireKey(single, commit)
      registry.fireRange(start, end, commit)
      const fired = [...live].filter((w) => w.state === 'done')
      expect(fired).toEqual(expected)
      for (const w of fired) live.delete(w)
      expect(registry.activeCount).toBe(live.size)
    }
  })

  it('settles every watch with false on closeAll', async () => {
    const registry = new WatchRegistry(10, () => undefined)
    const pending = registry.create('p')
    const active = armed(registry, 'a')
    registry.closeAll()
    expect([await pending.changed, await active.changed]).toEqual([false, false])
    expect(registry.activeCount).toBe(0)
  })
})
