import { expect, it } from 'vitest'
import { createRepo, defineSchema } from '@fdb-live/core'
import { faultyStoreForTesting, type FaultyStoreForTesting } from './test-support/faulty-store.js'
import { requestForTesting } from './test-support/http-request.js'
import { openSseForTesting, type SseClientForTesting } from './test-support/sse-client.js'
import { startTestGateway } from './test-support/start-test-gateway.js'
import { forEachStore } from './test-support/stores.js'
import {
  TEST_SECRET_FOR_TESTING,
  bearerForTesting,
  signTokenForTesting,
} from './test-support/tokens.js'
import { spawnWriterForTesting } from './test-support/writer.js'

interface Todo {
  title: string
  listId?: string
}
const INDEXES = { byList: 'listId' } as const
const Todo = defineSchema<Todo>('todos', { indexes: INDEXES })
const streamUrl = (base: string, tenant = 'acme'): string => `${base}/v1/tenants/${tenant}/stream`
const inbox = { byList: 'inbox' }

const ids = (members: Map<string, unknown>): string[] => [...members.keys()].sort()

/** What a client holds for one collection: applied from the events, as useSyncList would. */
function membersOf(client: SseClientForTesting, where: unknown): Map<string, unknown> {
  const members = new Map<string, unknown>()
  for (const e of client.events) {
    if (JSON.stringify(e.data['where']) !== JSON.stringify(where)) continue
    if (e.event === 'collection-reset') members.clear()
    if (e.event !== 'collection-change') continue
    if (e.data['value'] === null) members.delete(e.data['id'] as string)
    else members.set(e.data['id'] as string, e.data['value'])
  }
  return members
}
const syncedAt = (client: SseClientForTesting, where: unknown, version: string) =>
  client.waitFor(
    (e) =>
      e.event === 'collection-synced' &&
      JSON.stringify(e.data['where']) === JSON.stringify(where) &&
      (e.data['version'] as string) >= version,
  )
const lastSynced = (client: SseClientForTesting, where: unknown): string =>
  client.events
    .filter(
      (e) =>
        e.event === 'collection-synced' &&
        JSON.stringify(e.data['where']) === JSON.stringify(where),
    )
    .at(-1)!.data['version'] as string

forEachStore('collections', (store) => {
  it('sends the members, collection-synced and one synced; then every change, an index move and a delete', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    const t = gw.repo.tenant('acme')
    await t.put(Todo, 'a', { title: 'A', listId: 'inbox' })
    await t.put(Todo, 'b', { title: 'B', listId: 'work' })
    using client = await openSseForTesting(streamUrl(gw.url), {
      body: {
        subscriptions: [
          { schema: 'todos', where: inbox },
          { schema: 'todos', where: { byList: 'work' } },
          { schema: 'todos' },
          { schema: 'todos', id: 'a' },
        ],
      },
    })
    await client.waitFor((e) => e.event === 'synced')
    expect(
      client.events.map((e) => e.event).filter((e) => e.startsWith('collection-reset')),
    ).toHaveLength(3)
    expect([...membersOf(client, inbox)]).toEqual([['a', { title: 'A', listId: 'inbox' }]])
    expect(ids(membersOf(client, null))).toEqual(['a', 'b'])

    await using writer = await spawnWriterForTesting(gw)
    const added = await writer.put('acme', 'todos', 'c', { title: 'C', listId: 'inbox' }, INDEXES)
    await syncedAt(client, inbox, added)
    expect(ids(membersOf(client, inbox))).toEqual(['a', 'c'])
    // a moves from inbox to work: it leaves one collection and joins the other.
    const moved = await writer.put('acme', 'todos', 'a', { title: 'A', listId: 'work' }, INDEXES)
    await syncedAt(client, inbox, moved)
    await syncedAt(client, { byList: 'work' }, moved)
    const removal = client.events.find(
      (e) => e.event === 'collection-change' && e.data['id'] === 'a' && e.data['value'] === null,
    )
    expect(removal?.data).toEqual({
      schema: 'todos',
      where: inbox,
      id: 'a',
      version: moved,
      value: null,
    })
    expect(ids(membersOf(client, inbox))).toEqual(['c'])
    expect(ids(membersOf(client, { byList: 'work' }))).toEqual(['a', 'b'])
    const deleted = await writer.delete('acme', 'todos', 'c', INDEXES)
    await syncedAt(client, null, deleted!)
    await syncedAt(client, inbox, deleted!)
    expect(ids(membersOf(client, inbox))).toEqual([])
    expect(ids(membersOf(client, null))).toEqual(['a', 'b'])
    // The record subscription on a member is served as before.
    await client.waitFor((e) => e.event === 'value' && e.data['version'] === moved)
    expect(client.events.filter((e) => e.event === 'synced')).toHaveLength(1)
    // Within a collection, changes come in version order.
    const versions = client.events
      .filter((e) => e.event === 'collection-change' && e.data['where'] === null)
      .map((e) => e.data['version'] as string)
    expect(versions.slice(2)).toEqual([...versions.slice(2)].sort())
  })

  it('resumes with since: only what changed, removals included, never older than what the client has', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    const t = gw.repo.tenant('acme')
    for (const id of ['a', 'b', 'c']) await t.put(Todo, id, { title: id, listId: 'inbox' })
    let since: string
    {
      using first = await openSseForTesting(streamUrl(gw.url), {
        body: { subscriptions: [{ schema: 'todos', where: inbox }] },
      })
      await first.waitFor((e) => e.event === 'synced')
      since = lastSynced(first, inbox)
    }
    await using writer = await spawnWriterForTesting(gw)
    await writer.put('acme', 'todos', 'b', { title: 'b2', listId: 'inbox' }, INDEXES)
    const gone = await writer.put('acme', 'todos', 'c', { title: 'c', listId: 'work' }, INDEXES)
    using second = await openSseForTesting(streamUrl(gw.url), {
      body: { subscriptions: [{ schema: 'todos', where: inbox, since }] },
    })
    await second.waitFor((e) => e.event === 'synced')
    expect(second.events.some((e) => e.event === 'collection-reset')).toBe(false)
    const changes = second.events.filter((e) => e.event === 'collection-change')
    expect(changes.map((e) => [e.data['id'], e.data['value']])).toEqual([
      ['b', { title: 'b2', listId: 'inbox' }],
      ['c', null],
    ])
    expect(changes.every((e) => (e.data['version'] as string) > since)).toBe(true)
    expect(lastSynced(second, inbox)).toBe(gone)
    // The GET form resumes the same way: list=<schema>/<index>=<value>@<version>.
    using viaGet = await openSseForTesting(`${streamUrl(gw.url)}?list=todos/byList=inbox@${since}`)
    await viaGet.waitFor((e) => e.event === 'synced')
    expect(viaGet.events.filter((e) => e.event === 'collection-change')).toHaveLength(2)
  })

  it('gives a subscriber whose since predates compacted removals the full list (collection-reset)', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    // Retention 0: each removal compacts the older ones (as days of retention would).
    const t = createRepo(gw.store, { root: gw.repo.root, removalRetentionMs: 0 }).tenant('acme')
    for (const id of ['a', 'b', 'c']) await t.put(Todo, id, { title: id })
    const { version: since } = await t.changesSince(Todo)
    await t.delete(Todo, 'a')
    await t.delete(Todo, 'b')
    using client = await openSseForTesting(streamUrl(gw.url), {
      body: { subscriptions: [{ schema: 'todos', since }] },
    })
    await client.waitFor((e) => e.event === 'synced')
    expect(
      client.events.filter((e) => e.event.startsWith('collection')).map((e) => e.event),
    ).toEqual(['collection-reset', 'collection-change', 'collection-synced'])
    expect(ids(membersOf(client, null))).toEqual(['c'])
  })

  it('refuses a collection over the size limit with an error event; the rest of the stream goes on', async () => {
    await using gw = await startTestGateway({
      store: store.kind,
      wrapRepo: (repo) => createRepo(repo.store, { root: repo.root, maxCollectionSize: 2 }),
    })
    const t = gw.repo.tenant('acme')
    for (const id of ['a', 'b', 'c'])
      await t.put(Todo, id, { title: id, listId: id === 'a' ? 'small' : 'big' })
    using client = await openSseForTesting(streamUrl(gw.url), {
      body: {
        subscriptions: [{ schema: 'todos' }, { schema: 'todos', where: { byList: 'small' } }],
      },
    })
    await client.waitFor((e) => e.event === 'synced')
    const error = client.events.find((e) => e.event === 'error')
    expect(error?.data).toMatchObject({
      schema: 'todos',
      where: null,
      code: 'collection_too_large',
    })
    expect(error?.data['message']).toMatch(/more than 2 members/)
    expect(ids(membersOf(client, { byList: 'small' }))).toEqual(['a'])
  })

  it('shares one store watch per collection between all its subscribers', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    await gw.repo.tenant('acme').put(Todo, 'a', { title: 'A', listId: 'inbox' })
    const open = () =>
      openSseForTesting(streamUrl(gw.url), {
        body: { subscriptions: [{ schema: 'todos', where: inbox }] },
      })
    using one = await open()
    using two = await open()
    using three = await open()
    for (const c of [one, two, three]) await c.waitFor((e) => e.event === 'synced')
    const metrics = await gw.metrics()
    expect(metrics.get('fdb_live_gateway_active_watches')).toBe(1)
    await using writer = await spawnWriterForTesting(gw)
    const v = await writer.put('acme', 'todos', 'b', { title: 'B', listId: 'inbox' }, INDEXES)
    for (const c of [one, two, three]) {
      await syncedAt(c, inbox, v)
      expect(ids(membersOf(c, inbox))).toEqual(['a', 'b'])
    }
  })

  it('keeps a collection whose re-arm meets too_many_watches for a moment (FoundationDB may report it below the budget): later changes still arrive', async () => {
    let faulty!: FaultyStoreForTesting
    await using gw = await startTestGateway({
      store: store.kind,
      wrapStore: (inner) => (faulty = faultyStoreForTesting(inner)),
    })
    using client = await openSseForTesting(streamUrl(gw.url), {
      body: { subscriptions: [{ schema: 'todos', where: inbox }] },
    })
    await client.waitFor((e) => e.event === 'synced')
    faulty.failWatches(2, 'too_many_watches')
    await using writer = await spawnWriterForTesting(gw)
    await writer.put('acme', 'todos', 'a', { title: 'A', listId: 'inbox' }, INDEXES)
    await expect
      .poll(async () =>
        (await gw.metrics()).get('fdb_live_gateway_watch_errors_total{code="too_many_watches"}'),
      )
      .toBe(2)
    const v = await writer.put('acme', 'todos', 'b', { title: 'B', listId: 'inbox' }, INDEXES)
    await syncedAt(client, inbox, v)
    expect(ids(membersOf(client, inbox))).toEqual(['a', 'b'])
    expect(client.events.filter((e) => e.event === 'error')).toEqual([])
  })

  it('fails a collection whose re-arm keeps meeting too_many_watches with an error event, and gives its watch back', async () => {
    let faulty!: FaultyStoreForTesting
    await using gw = await startTestGateway({
      store: store.kind,
      wrapStore: (inner) => (faulty = faultyStoreForTesting(inner)),
    })
    using client = await openSseForTesting(streamUrl(gw.url), {
      body: { subscriptions: [{ schema: 'todos', where: inbox }] },
    })
    await client.waitFor((e) => e.event === 'synced')
    faulty.failWatches(100, 'too_many_watches') // the budget stays exhausted
    await using writer = await spawnWriterForTesting(gw)
    await writer.put('acme', 'todos', 'a', { title: 'A', listId: 'inbox' }, INDEXES)
    const error = await client.waitFor((e) => e.event === 'error')
    expect(error.data).toMatchObject({ schema: 'todos', where: inbox, code: 'too_many_watches' })
    await expect
      .poll(async () => (await gw.metrics()).get('fdb_live_gateway_active_watches'))
      .toBe(0)
  })
})

it('validates collection subscriptions with a clear 400', async () => {
  await using gw = await startTestGateway({ maxSubscriptionsPerStream: 2 })
  const post = (subscriptions: unknown) =>
    requestForTesting(streamUrl(gw.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subscriptions }),
    })
  const cases: Array<[unknown, RegExp]> = [
    [[{ schema: 'todos', where: { a: 'x', b: 'y' } }], /where has 2 entries/],
    [[{ schema: 'todos', where: { byList: 1.5 } }], /where\.byList is 1\.5/],
    [[{ schema: 'todos', where: { byList: null } }], /where\.byList is null/],
    [[{ schema: 'todos', where: 'inbox' }], /Invalid where "inbox"/],
    [[{ schema: 'todos', where: { 'b d': 'x' } }], /Invalid index name/],
    [[{ schema: 'todos', since: 'x' }], /Invalid version/],
  ]
  for (const [subscriptions, message] of cases) {
    const res = await post(subscriptions)
    expect(res.status, JSON.stringify(subscriptions)).toBe(400)
    expect((res.json() as { error: { message: string } }).error.message).toMatch(message)
  }
  // A collection counts as one subscription, like a record.
  const tooMany = await post([
    { schema: 'todos' },
    { schema: 'todos', where: inbox },
    { schema: 'q', id: 'a' },
  ])
  expect(tooMany.status).toBe(400)
  expect((tooMany.json() as { error: { message: string } }).error.message).toMatch(
    /1 records and 2 collections in one stream; the limit is 2 subscriptions/,
  )
  const get = (query: string) => requestForTesting(`${streamUrl(gw.url)}?${query}`)
  for (const query of ['list=todos/byList', 'list', 'list=todos/b%20d=x', 'list=1todos']) {
    const res = await get(query)
    expect(res.status, query).toBe(400)
  }
})

it('allows a collection only with a grant over every record of the schema in the tenant', async () => {
  await using gw = await startTestGateway({ auth: { secret: TEST_SECRET_FOR_TESTING } })
  await gw.repo.tenant('acme').put(Todo, 'a', { title: 'A', listId: 'inbox' })
  const open = async (grants: string[]) =>
    openSseForTesting(streamUrl(gw.url), {
      headers: bearerForTesting(await signTokenForTesting({ sub: 'alice', grants })),
      body: { subscriptions: [{ schema: 'todos', where: inbox }] },
    })
  using narrow = await open(['acme/todos/a'])
  await narrow.waitFor((e) => e.event === 'synced')
  expect(narrow.events.find((e) => e.event === 'error')?.data).toMatchObject({
    schema: 'todos',
    where: inbox,
    code: 'forbidden',
  })
  expect(narrow.events.some((e) => e.event === 'collection-change')).toBe(false)
  for (const grant of ['acme/todos/*', '*/todos/*', '*/*/*']) {
    using wide = await open([grant])
    await wide.waitFor((e) => e.event === 'synced')
    expect(ids(membersOf(wide, inbox)), grant).toEqual(['a'])
  }
})
