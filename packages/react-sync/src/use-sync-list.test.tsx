import './test-support/node-typed-arrays.js'
import { defineSchema } from '@fdb-live/core'
import {
  startRestartableGatewayForTesting,
  type RestartableGatewayForTesting,
} from '@fdb-live/gateway/test-support'
import { QueryClient, dehydrate, hydrate, type DehydratedState } from '@tanstack/react-query'
import { cleanup, render, screen, waitFor } from '@testing-library/react'
import { Suspense } from 'react'
import { createSyncClient } from './sync-client.js'
import { syncListQueryOptions } from './sync-list-query-options.js'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { SyncProvider } from './provider.js'
import type { SyncClient } from './sync-client.js'
import type { CollectionEvent, SyncWhere } from './sync-events.js'
import { QuoteView } from './test-support/quote-app.js'
import { Quote, quote } from './test-support/quote.js'
import { createTestClientForTesting } from './test-support/test-client.js'
import { useSuspenseSyncList, useSyncList } from './use-sync-list.js'

const TENANT = 'acme'
let gateway: RestartableGatewayForTesting
let queryClient: QueryClient
let client: SyncClient

beforeEach(async () => {
  gateway = await startRestartableGatewayForTesting()
  queryClient = new QueryClient()
  client = createTestClientForTesting(gateway.url, { tenant: TENANT, queryClient })
})

afterEach(async () => {
  cleanup()
  client.close()
  queryClient.clear()
  await gateway.close()
})

const tenant = () => gateway.repo().tenant(TENANT)

interface Todo {
  title: string
  listId: string
}
const Todo = defineSchema<Todo>('todos', { indexes: { byList: 'listId' } })

/** What a user sees of a list: `loading`, `error:<code>`, or `id=content` lines. */
function QuoteList({ testId = 'list' }: { testId?: string }) {
  const { data, status, error, syncStatus } = useSyncList(Quote)
  const text =
    status === 'pending'
      ? 'loading'
      : status === 'error'
        ? `error:${(error as { code?: string }).code ?? error.message}`
        : data.map((m) => `${m.id}=${m.value.content}`).join(' ')
  return (
    <p data-testid={testId} data-sync={syncStatus}>
      {text}
    </p>
  )
}

function TodoList({ where }: { where: SyncWhere }) {
  const { data, error } = useSyncList(Todo, { where })
  const text = error
    ? `error:${(error as { code?: string }).code}`
    : (data?.map((m) => m.value.title).join(' ') ?? 'loading')
  return <p data-testid="todos">{text}</p>
}

function SuspenseList() {
  const { data } = useSuspenseSyncList(Quote)
  return <p data-testid="slist">{data.map((m) => m.value.content).join(' ')}</p>
}

function App({ children }: { children: React.ReactNode }) {
  return (
    <SyncProvider gatewayUrl={client.gatewayUrl} tenant={TENANT} client={client}>
      {children}
    </SyncProvider>
  )
}

const shown = (testId = 'list') => screen.getByTestId(testId).textContent
const syncOf = (testId = 'list') => screen.getByTestId(testId).dataset['sync']

/** The list as the store has it, in the client's format. */
async function storeList(): Promise<string> {
  const records = await tenant().list(Quote)
  return records.map((r) => `${r.id}=${r.value.content}`).join(' ')
}

describe('useSyncList against a real gateway', () => {
  test('shows every quote in id order, then follows adds, changes and deletes', async () => {
    for (const id of ['b', 'c', 'a']) await tenant().put(Quote, id, quote(id))
    render(
      <App>
        <QuoteList />
      </App>,
    )
    await waitFor(() => expect(shown()).toBe('a=a b=b c=c'))
    await waitFor(() => expect(syncOf()).toBe('live'))

    await tenant().put(Quote, 'aa', quote('new'))
    await waitFor(() => expect(shown()).toBe('a=a aa=new b=b c=c'))
    await tenant().put(Quote, 'c', quote('changed'))
    await waitFor(() => expect(shown()).toBe('a=a aa=new b=b c=changed'))
    await tenant().delete(Quote, 'a')
    await waitFor(() => expect(shown()).toBe('aa=new b=b c=changed'))
  })

  test('one stream carries the list and the records; a member shown by useSyncOne needs no read', async () => {
    await tenant().put(Quote, 'fav', quote('favorite'))
    await tenant().put(Quote, 'other', quote('other'))
    const view = render(
      <App>
        <QuoteView id="fav" />
        <QuoteList />
      </App>,
    )
    await waitFor(() => expect(syncOf()).toBe('live'))
    // Mounted together, the record and the list went out in one request.
    expect(gateway.streamRequests).toBe(1)
    expect(await gateway.metric('fdb_live_gateway_open_streams')).toBe(1)

    // `other` is only in the list: its record entry is already there, and stays current.
    view.rerender(
      <App>
        <QuoteView id="fav" />
        <QuoteView id="other" />
        <QuoteList />
      </App>,
    )
    expect(screen.getByTestId('quote-other').textContent).toBe('other')
    await tenant().put(Quote, 'other', quote('liked', 1))
    await waitFor(() => {
      expect(screen.getByTestId('quote-other').textContent).toBe('liked')
      expect(shown()).toBe('fav=favorite other=liked')
    })
    // The only record read was fav's (mounted before the list had loaded).
    expect(gateway.recordRequests).toBeLessThanOrEqual(1)
  })

  test('after the gateway was down, it resumes from the last collection-synced version and shows exactly the store list', async () => {
    for (const id of ['a', 'b', 'c']) await tenant().put(Quote, id, quote(id))
    const events: CollectionEvent[] = []
    const release = client.subscribeList(Quote.name, null, { onEvent: (e) => events.push(e) })
    render(
      <App>
        <QuoteList />
      </App>,
    )
    await waitFor(() => expect(syncOf()).toBe('live'))
    const synced = events.filter((e) => e.type === 'collection-synced').at(-1)

    await gateway.stop()
    await gateway.openStore()
    await tenant().delete(Quote, 'a')
    await tenant().put(Quote, 'b', quote('b2'))
    await tenant().put(Quote, 'd', quote('d'))
    events.length = 0
    await gateway.start()

    const expected = await storeList()
    expect(expected).toBe('b=b2 c=c d=d')
    await waitFor(() => expect(shown()).toBe(expected), { timeout: 10_000 })
    await waitFor(() => expect(syncOf()).toBe('live'))
    // The resumed request asked from the list's version; only the 3 changes came back.
    const body = gateway.streamBodies.at(-1) as { subscriptions: { since?: string }[] }
    expect(body.subscriptions).toContainEqual({ schema: 'quotes', since: synced?.version })
    expect(
      events
        .filter((e) => e.type === 'collection-change')
        .map((e) => e.id)
        .sort(),
    ).toEqual(['a', 'b', 'd'])
    expect(events.some((e) => e.type === 'collection-reset')).toBe(false)
    release()
  })

  test('where: one value of a declared index; a record whose index field changes moves between lists', async () => {
    await tenant().put(Todo, 't1', { title: 'one', listId: 'inbox' })
    await tenant().put(Todo, 't2', { title: 'two', listId: 'done' })
    render(
      <App>
        <TodoList where={{ byList: 'inbox' }} />
      </App>,
    )
    await waitFor(() => expect(shown('todos')).toBe('one'))
    await tenant().put(Todo, 't2', { title: 'two', listId: 'inbox' })
    await waitFor(() => expect(shown('todos')).toBe('one two'))
    await tenant().put(Todo, 't1', { title: 'one', listId: 'done' })
    await waitFor(() => expect(shown('todos')).toBe('two'))
  })

  test('useSuspenseSyncList suspends until the first batch, then follows changes', async () => {
    await tenant().put(Quote, 'a', quote('a'))
    render(
      <App>
        <Suspense fallback={<p data-testid="slist">wait</p>}>
          <SuspenseList />
        </Suspense>
      </App>,
    )
    await waitFor(() => expect(shown('slist')).toBe('a'))
    await tenant().put(Quote, 'b', quote('b'))
    await waitFor(() => expect(shown('slist')).toBe('a b'))
  })

  test('a list prefetched on a server and hydrated resumes from its version: only changes come', async () => {
    for (const id of ['a', 'b']) await tenant().put(Quote, id, quote(id))
    const serverQc = new QueryClient()
    const server = createSyncClient({
      gatewayUrl: gateway.url,
      tenant: TENANT,
      queryClient: serverQc,
      crossTab: false,
    })
    await serverQc.prefetchQuery(syncListQueryOptions(server, Quote))
    server.close()
    const state = JSON.parse(JSON.stringify(dehydrate(serverQc))) as DehydratedState
    const version = (state.queries[0]?.state.data as { version: string }).version
    hydrate(queryClient, state)

    const events: CollectionEvent[] = []
    const release = client.subscribeList(Quote.name, null, { onEvent: (e) => events.push(e) })
    render(
      <App>
        <QuoteList />
      </App>,
    )
    // Shown at once from the hydrated cache, then live from the stream.
    expect(shown()).toBe('a=a b=b')
    await waitFor(() => expect(syncOf()).toBe('live'))
    const body = gateway.streamBodies.at(-1) as { subscriptions: unknown[] }
    expect(body.subscriptions).toContainEqual({ schema: 'quotes', since: version })
    expect(events.filter((e) => e.type !== 'collection-synced')).toEqual([])
    await tenant().put(Quote, 'c', quote('c'))
    await waitFor(() => expect(shown()).toBe('a=a b=b c=c'))
    release()
  })

  test('a where the gateway would refuse fails that list only, without failing the stream', async () => {
    await tenant().put(Quote, 'a', quote('a'))
    render(
      <App>
        <TodoList where={{ byList: 'inbox', byOwner: 'me' }} />
        <QuoteList />
      </App>,
    )
    await waitFor(() => {
      expect(shown('todos')).toBe('error:invalid_request')
      expect(shown()).toBe('a=a')
      expect(syncOf()).toBe('live')
    })
  })

  test('enabled: false neither loads nor streams the list; enabling it does', async () => {
    await tenant().put(Quote, 'a', quote('a'))
    function Toggle({ enabled }: { enabled: boolean }) {
      const { data, fetchStatus } = useSyncList(Quote, { enabled })
      return <p data-testid="toggle">{data?.map((m) => m.id).join(' ') ?? fetchStatus}</p>
    }
    const page = (enabled: boolean) => (
      <App>
        <QuoteView id="a" />
        <Toggle enabled={enabled} />
      </App>
    )
    const streamedLists = () =>
      gateway.streamBodies.flatMap((body) =>
        (body as { subscriptions: { id?: string }[] }).subscriptions.filter((s) => !s.id),
      )
    const view = render(page(false))
    // The record beside it went live: the stream request was made, without the list.
    await waitFor(() => expect(client.getKeyStatus('quotes', 'a')).toBe('live'))
    expect(shown('toggle')).toBe('idle')
    expect(streamedLists()).toEqual([])

    view.rerender(page(true))
    await waitFor(() => expect(shown('toggle')).toBe('a'))
    expect(streamedLists()).toEqual([{ schema: 'quotes' }])
  })
})
