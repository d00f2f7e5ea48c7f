import { describe, expect, test } from 'vitest'
import { createListRelay } from './cross-tab-lists.js'
import type { CollectionEvent, CollectionSubscription } from './sync-events.js'

const v = (n: number) => String(n).padStart(20, '0')
const sub = (since?: number): CollectionSubscription => ({
  schema: 'quotes',
  where: null,
  since: since === undefined ? undefined : v(since),
})
const change = (id: string, n: number): CollectionEvent => ({
  type: 'collection-change',
  schema: 'quotes',
  where: null,
  id,
  version: v(n),
  value: { n },
})
const synced = (n: number): CollectionEvent => ({
  type: 'collection-synced',
  schema: 'quotes',
  where: null,
  version: v(n),
})
const reset: CollectionEvent = { type: 'collection-reset', schema: 'quotes', where: null }

function makeRelay() {
  const sent: { tab: string; events: CollectionEvent[] }[] = []
  return { sent, relay: createListRelay((tab, events) => sent.push({ tab, events })) }
}

describe('the leader replays a collection to a tab that joins it', () => {
  test('a tab that joins before the first batch gets the whole list once it is committed', () => {
    const { sent, relay } = makeRelay()
    relay.onTab('b', [sub()])
    // Nothing held yet: the stream asks for the whole list.
    expect(relay.since(sub(), undefined)).toBeUndefined()
    for (const event of [reset, change('y', 2), change('x', 1)]) relay.onEvent(event)
    expect(sent).toEqual([])
    relay.onEvent(synced(2))
    expect(sent).toEqual([{ tab: 'b', events: [reset, change('x', 1), change('y', 2), synced(2)] }])
    expect(relay.since(sub(), undefined)).toBe(v(2))
  })

  test('a tab already at the leader version gets only collection-synced', () => {
    const { sent, relay } = makeRelay()
    for (const event of [reset, change('x', 1), synced(3)]) relay.onEvent(event)
    relay.onTab('b', [sub(3)])
    relay.onTab('c', [sub(1)])
    expect(sent).toEqual([
      { tab: 'b', events: [synced(3)] },
      { tab: 'c', events: [reset, change('x', 1), synced(3)] },
    ])
    // Joined tabs follow the broadcast from then on: no second replay.
    relay.onTab('b', [sub(3)])
    expect(sent).toHaveLength(2)
  })

  test('a new leader resumes from its own list, not from another tab s older since', () => {
    const { relay } = makeRelay()
    const own = { members: [{ id: 'x', version: v(4), value: 1 }], version: v(5) }
    expect(relay.since(sub(2), own)).toBe(v(5))
  })

  test('a tab that joins mid-batch waits for the commit; a dropped tab gets nothing', () => {
    const { sent, relay } = makeRelay()
    for (const event of [reset, change('x', 1), synced(1)]) relay.onEvent(event)
    relay.onEvent(change('y', 2))
    relay.onTab('b', [sub(1)])
    relay.onTab('gone', [sub()])
    relay.dropTab('gone')
    relay.onEvent(synced(2))
    expect(sent).toEqual([{ tab: 'b', events: [reset, change('x', 1), change('y', 2), synced(2)] }])
  })
})
