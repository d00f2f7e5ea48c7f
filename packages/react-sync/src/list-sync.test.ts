import { QueryClient } from '@tanstack/react-query'
import { describe, expect, test } from 'vitest'
import { syncEntry, type SyncEntry, type SyncListEntry } from './cache-writer.js'
import { applyCollectionEvent, createListSync, type ListSync } from './list-sync.js'
import { syncListQueryKey, syncQueryKey } from './query-key.js'
import type { CollectionEvent, SyncWhere } from './sync-events.js'
import { Quote } from './test-support/quote.js'

const v = (n: number) => String(n).padStart(20, '0')
const TENANT = 'acme'

function setup(where: SyncWhere = null) {
  const queryClient = new QueryClient()
  const list = createListSync(
    { key: 'k', schema: 'quotes', id: JSON.stringify(where), refs: 1, invalidators: 0 },
    where,
    syncListQueryKey(TENANT, Quote, where),
    queryClient,
  )
  const apply = (...events: Omit<CollectionEvent, 'schema' | 'where'>[]) => {
    for (const event of events) {
      const full = { ...event, schema: 'quotes', where } as CollectionEvent
      applyCollectionEvent(list, full, queryClient, TENANT, undefined)
    }
  }
  const record = (id: string) =>
    queryClient.getQueryData<SyncEntry<unknown>>(syncQueryKey(TENANT, Quote, id))
  const listed = () =>
    queryClient.getQueryData<SyncListEntry<unknown>>(syncListQueryKey(TENANT, Quote, where))
  return { queryClient, list, apply, record, listed }
}
const change = (id: string, n: number, value: unknown = { n }) =>
  ({ type: 'collection-change', id, version: v(n), value }) as const
const synced = (n: number) => ({ type: 'collection-synced', version: v(n) }) as const

describe('a committed batch in the cache', () => {
  test('writes the list entry and each member into its record entry, at the member version', () => {
    const { apply, record, listed } = setup()
    apply({ type: 'collection-reset' }, change('b', 2), change('a', 1))
    expect(listed()).toBeUndefined()
    apply(synced(2))
    expect(listed()).toMatchObject({ version: v(2), members: [{ id: 'a' }, { id: 'b' }] })
    expect(record('a')).toEqual({ value: { n: 1 }, version: v(1) })
    expect(record('b')).toEqual({ value: { n: 2 }, version: v(2) })
  })

  test('never moves a record entry backwards', () => {
    const { queryClient, apply, record } = setup()
    queryClient.setQueryData(syncQueryKey(TENANT, Quote, 'a'), syncEntry({ n: 9 }, v(9)))
    apply(change('a', 3), synced(3))
    expect(record('a')).toEqual({ value: { n: 9 }, version: v(9) })
  })

  test('a member that left the whole schema was deleted: its record becomes null at that version', () => {
    const { apply, record } = setup()
    apply(change('a', 1), synced(1), change('a', 2, null), synced(2))
    expect(record('a')).toEqual({ value: null, version: v(2) })
  })

  test("a member that left an index's collection may still exist: its record is left alone", () => {
    const { apply, record } = setup({ byAuthor: 'Test' })
    apply(change('a', 1), synced(1), change('a', 2, null), synced(2))
    expect(record('a')).toEqual({ value: { n: 1 }, version: v(1) })
  })

  test('a list seeded from the cache (SSR, linger) resumes from its version', () => {
    const queryClient = new QueryClient()
    const key = syncListQueryKey(TENANT, Quote)
    queryClient.setQueryData(key, {
      members: [{ id: 'x', version: v(4), value: 1 }],
      version: v(5),
    })
    const list: ListSync = createListSync(
      { key: 'k', schema: 'quotes', id: 'null', refs: 1, invalidators: 0 },
      null,
      key,
      queryClient,
    )
    expect(list.state.version).toBe(v(5))
    expect(list.state.sorted.map((m) => m.id)).toEqual(['x'])
  })
})
