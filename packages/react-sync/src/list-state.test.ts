import { describe, expect, test } from 'vitest'
import { applyListEvent, createListState, type ListState } from './list-state.js'

const v = (n: number) => String(n).padStart(20, '0')

function change(state: ListState, id: string, n: number, value: unknown = { n }) {
  return applyListEvent(state, { type: 'change', change: { id, version: v(n), value } })
}
const synced = (state: ListState, n: number) =>
  applyListEvent(state, { type: 'synced', version: v(n) })
const ids = (state: ListState) => state.sorted.map((m) => m.id)

describe('a collection as the client holds it', () => {
  test('a reset batch is applied only at collection-synced: never an empty list meanwhile', () => {
    const state = createListState({
      members: [{ id: 'old', version: v(1), value: 1 }],
      version: v(1),
    })
    applyListEvent(state, { type: 'reset' })
    change(state, 'b', 3)
    expect(ids(state)).toEqual(['old'])
    change(state, 'a', 2)
    const commit = synced(state, 5)
    expect(ids(state)).toEqual(['a', 'b'])
    expect(state.version).toBe(v(5))
    expect(commit).toMatchObject({ reset: true, version: v(5) })
    expect(commit?.changed.map((m) => m.id)).toEqual(['b', 'a'])
  })

  test('members are in ascending id order, and a change keeps every row in place', () => {
    const state = createListState()
    for (const [id, n] of [
      ['c', 1],
      ['a', 2],
      ['b', 3],
    ] as const)
      change(state, id, n)
    synced(state, 3)
    expect(ids(state)).toEqual(['a', 'b', 'c'])
    const [a, , c] = state.sorted
    change(state, 'b', 4, 'new')
    synced(state, 4)
    expect(ids(state)).toEqual(['a', 'b', 'c'])
    expect(state.sorted[1]?.value).toBe('new')
    // Unchanged members keep their identity (React keeps their rows).
    expect(state.sorted[0]).toBe(a)
    expect(state.sorted[2]).toBe(c)
  })

  test('a removal leaves the list with its version; a removal of an unknown id changes nothing', () => {
    const state = createListState()
    change(state, 'a', 1)
    change(state, 'b', 2)
    synced(state, 2)
    change(state, 'a', 3, null)
    change(state, 'zz', 4, null)
    const commit = synced(state, 4)
    expect(ids(state)).toEqual(['b'])
    expect(commit?.left).toEqual([{ id: 'a', version: v(3) }])
  })

  test('never backwards: changes older than the member held are ignored (a resume from an older since)', () => {
    const state = createListState()
    change(state, 'a', 5, 'five')
    synced(state, 5)
    // Another tab's older `since`: the gateway sends a's latest change again, and an older one.
    change(state, 'a', 5, 'five')
    change(state, 'b', 6)
    synced(state, 6)
    change(state, 'a', 3, 'three')
    const commit = synced(state, 6)
    expect(state.members.get('a')?.value).toBe('five')
    expect(commit?.changed).toEqual([])
  })

  test('the collection version never goes back, except through a reset (another store epoch)', () => {
    const state = createListState()
    change(state, 'a', 5)
    synced(state, 5)
    synced(state, 3)
    expect(state.version).toBe(v(5))
    applyListEvent(state, { type: 'forget' })
    applyListEvent(state, { type: 'reset' })
    change(state, 'x', 1)
    synced(state, 2)
    expect(state.version).toBe(v(2))
    expect(ids(state)).toEqual(['x'])
  })

  test('a batch cut off by a failed stream is dropped; the resumed stream sends it again', () => {
    const state = createListState()
    change(state, 'a', 1)
    synced(state, 1)
    change(state, 'b', 2)
    applyListEvent(state, { type: 'restart' })
    expect(state.version).toBe(v(1))
    synced(state, 1)
    expect(ids(state)).toEqual(['a'])
  })

  test('within a batch the latest change of an id wins, whatever the arrival order', () => {
    const state = createListState()
    change(state, 'a', 2, 'two')
    change(state, 'a', 1, 'one')
    synced(state, 2)
    expect(state.members.get('a')?.value).toBe('two')
  })

  test('a reset that re-sends a member at the same version keeps its object', () => {
    const state = createListState()
    change(state, 'a', 1)
    synced(state, 1)
    const a = state.sorted[0]
    applyListEvent(state, { type: 'reset' })
    change(state, 'a', 1)
    const commit = synced(state, 2)
    expect(state.sorted[0]).toBe(a)
    expect(commit?.changed).toEqual([])
  })
})
