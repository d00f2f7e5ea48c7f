import { describe, expect, it } from 'vitest'
import { KeyIndex } from './lmdb-key-index.js'

/** A deterministic pseudo-random sequence in [0, 1) (mulberry32), so a failure replays. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('KeyIndex', () => {
  it('finds the keys of a range, bounds included at the start and excluded at the end', () => {
    const index = new KeyIndex<string>()
    for (const id of ['a', 'b', 'b\x00', 'b\xff', 'c', 'd']) index.add(id, `watch ${id}`)
    expect(index.keysInRange('b', 'c')).toEqual(['b', 'b\x00', 'b\xff'])
    expect(index.keysInRange('b\x00', 'b\xff')).toEqual(['b\x00'])
    expect(index.keysInRange('', '\xff')).toEqual(['a', 'b', 'b\x00', 'b\xff', 'c', 'd'])
    expect(index.keysInRange('a\x00', 'a\xff')).toEqual([])
    expect(index.keysInRange('c', 'c')).toEqual([])
    expect(index.keysInRange('d', 'a')).toEqual([])
  })

  it('drops a key from ranges once its last item goes, and finds it again when re-added', () => {
    const index = new KeyIndex<number>()
    index.add('k', 1)
    index.add('k', 2)
    index.delete('k', 1)
    expect(index.keysInRange('a', 'z')).toEqual(['k'])
    index.delete('k', 2)
    index.delete('k', 2)
    expect(index.keysInRange('a', 'z')).toEqual([])
    expect(index.get('k')).toBeUndefined()
    index.add('k', 3)
    expect(index.keysInRange('a', 'z')).toEqual(['k'])
    expect([...(index.get('k') ?? [])]).toEqual([3])
    index.checkForTesting()
  })

  it('agrees with a full scan through random adds and deletes, and stays at most twice the live keys', () => {
    const random = seeded(12)
    const index = new KeyIndex<number>()
    const model = new Map<string, Set<number>>()
    const someKey = (): string =>
      String.fromCharCode(
        ...Array.from(
          { length: 1 + Math.floor(random() * 3) },
          () => Math.floor(random() * 6) * 51,
        ),
      )
    for (let step = 0; step < 20_000; step++) {
      const id = someKey()
      const item = Math.floor(random() * 4)
      // Phases of growth and shrinkage, so that compaction runs many times.
      if (random() < (Math.floor(step / 2000) % 2 === 0 ? 0.7 : 0.3)) {
        index.add(id, item)
        model.set(id, (model.get(id) ?? new Set()).add(item))
      } else {
        index.delete(id, item)
        model.get(id)?.delete(item)
        if (model.get(id)?.size === 0) model.delete(id)
      }
      if (step % 97 === 0) {
        index.checkForTesting()
        expect(index.sortedLengthForTesting()).toBeLessThanOrEqual(2 * model.size + 65)
        const [start, end] = [someKey(), someKey()]
        const expected = [...model.keys()].filter((k) => k >= start && k < end).sort()
        expect(index.keysInRange(start, end)).toEqual(expected)
        expect(index.keyCount).toBe(model.size)
      }
    }
  })
})
