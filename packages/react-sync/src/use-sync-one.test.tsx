import './test-support/node-typed-arrays.js'
import { QueryClient } from '@tanstack/react-query'
import { cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { SyncProvider } from './provider.js'
import { syncQueryKey } from './query-key.js'
import type { SyncClient, SyncClientOptions } from './sync-client.js'
import {
  startRestartableGatewayForTesting,
  type RestartableGatewayForTesting,
} from '@fdb-live/gateway/test-support'
import { QuoteApp, shownForTesting as shown } from './test-support/quote-app.js'
import { Quote, quote } from './test-support/quote.js'
import { useSyncOne } from './use-sync-one.js'
import { createTestClientForTesting } from './test-support/test-client.js'

const TENANT = 'acme'
let gateway: RestartableGatewayForTesting
let queryClient: QueryClient
let client: SyncClient

function App({ ids }: { ids: string[] }) {
  return <QuoteApp client={client} ids={ids} />
}

function setup(options: Partial<SyncClientOptions> = {}): void {
  client = createTestClientForTesting(gateway.url, { tenant: TENANT, queryClient, ...options })
}

const tenant = () => gateway.repo().tenant(TENANT)

beforeEach(async () => {
  gateway = await startRestartableGatewayForTesting()
  queryClient = new QueryClient()
  setup()
})

afterEach(async () => {
  cleanup()
  client.close()
  queryClient.clear()
  await gateway.close()
})

describe('useSyncOne against a real gateway', () => {
  test('renders the value, then re-renders on a write through core without refetching', async () => {
    await tenant().put(Quote, 'q1', quote('first'))
    render(<App ids={['q1']} />)
    await waitFor(() => expect(shown('q1')).toBe('first'))

    await tenant().put(Quote, 'q1', quote('second'))
    await waitFor(() => expect(shown('q1')).toBe('second'))
    // The new value came over the stream, not from the record endpoint.
    expect(gateway.recordRequests).toBe(1)
    expect(screen.getByTestId('status').textContent).toBe('live')
  })

  test('50 components on 10 records open one stream and one watch per record', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `k${i}`)
    for (const id of ids) await tenant().put(Quote, id, quote(`value ${id}`))
    render(<App ids={Array.from({ length: 50 }, (_, i) => ids[i % 10]!)} />)

    await waitFor(() => {
      for (const el of screen.getAllByTestId(/^quote-/)) expect(el.dataset['sync']).toBe('live')
    })
    for (const id of ids) {
      expect(screen.getAllByTestId(`quote-${id}`).map((el) => el.textContent)).toEqual(
        Array(5).fill(`value ${id}`),
      )
    }
    expect(gateway.streamRequests).toBe(1)
    expect(await gateway.metric('fdb_live_gateway_open_streams')).toBe(1)
    expect(await gateway.metric('fdb_live_gateway_active_watches')).toBe(10)
  })

  test('a deleted record renders null, not an error', async () => {
    await tenant().put(Quote, 'gone', quote('here'))
    render(<App ids={['gone', 'never']} />)
    await waitFor(() => {
      expect(shown('gone')).toBe('here')
      expect(shown('never')).toBe('null')
    })

    await tenant().delete(Quote, 'gone')
    await waitFor(() => expect(shown('gone')).toBe('null'))
  })

  test('a fetch that resolves after a newer pushed value is dropped', async () => {
    await tenant().put(Quote, 'race', quote('old'))
    let releaseGet!: () => void
    const getHeld = new Promise<void>((resolve) => (releaseGet = resolve))
    let getAnswered = false
    client.close()
    setup({
      // The real gateway answers at once (with "old"); the answer is held back until the
      // stream has pushed a newer value, like a slow network would.
      fetch: async (input, init) => {
        const response = await fetch(input, init)
        if (init?.method === undefined) {
          getAnswered = true
          await getHeld
        }
        return response
      },
    })
    render(<App ids={['race']} />)
    await waitFor(() => expect(getAnswered).toBe(true))
    await waitFor(() => expect(shown('race')).toBe('old')) // from the stream's initial value
    await tenant().put(Quote, 'race', quote('new'))
    await waitFor(() => expect(shown('race')).toBe('new'))

    releaseGet()
    await waitFor(() =>
      expect(queryClient.getQueryState(syncQueryKey(TENANT, Quote, 'race'))?.fetchStatus).toBe(
        'idle',
      ),
    )
    expect(shown('race')).toBe('new')
  })

  test('an event older than the cached version is dropped; hydrated data resumes with since', async () => {
    const { version } = await tenant().put(Quote, 'hydrated', quote('current'))
    // Data as a server rendered it, with a version newer than anything the gateway has.
    const future = 'ffffffffffffffff0000'
    queryClient.setQueryData(syncQueryKey(TENANT, Quote, 'hydrated'), {
      value: quote('from the future'),
      version: future,
    })
    render(<App ids={['hydrated']} />)
    await waitFor(() => expect(screen.getByTestId('quote-hydrated').dataset['sync']).toBe('live'))
    // The stream sent the current value (its version differs from `since`); it is older.
    expect(await gateway.metric('fdb_live_gateway_events_sent_total{event="value"}')).toBe(1)
    expect(shown('hydrated')).toBe('from the future')
    expect(client.knownVersion('quotes', 'hydrated')).toBe(version)
    expect(gateway.recordRequests).toBe(0)
  })

  test('hydrated data at the current version continues live with no initial value resent', async () => {
    const { version } = await tenant().put(Quote, 'ssr', quote('server'))
    queryClient.setQueryData(syncQueryKey(TENANT, Quote, 'ssr'), {
      value: quote('server'),
      version,
    })
    render(<App ids={['ssr']} />)
    await waitFor(() => expect(screen.getByTestId('quote-ssr').dataset['sync']).toBe('live'))
    expect(await gateway.metric('fdb_live_gateway_events_sent_total{event="value"}')).toBe(0)
    await tenant().put(Quote, 'ssr', quote('changed'))
    await waitFor(() => expect(shown('ssr')).toBe('changed'))
    expect(gateway.recordRequests).toBe(0)
  })

  test('after a gateway restart the client resumes with since: only changed records are sent', async () => {
    await tenant().put(Quote, 'same', quote('unchanged'))
    await tenant().put(Quote, 'edit', quote('before'))
    await tenant().put(Quote, 'drop', quote('doomed'))
    render(<App ids={['same', 'edit', 'drop']} />)
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('live'))
    await waitFor(() => expect(shown('drop')).toBe('doomed'))

    await gateway.stop()
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('reconnecting'))
    // Data stays on screen while the gateway is away.
    expect(shown('same')).toBe('unchanged')
    // Another writer changes records while the gateway is down.
    await gateway.openStore()
    await tenant().put(Quote, 'edit', quote('after'))
    await tenant().delete(Quote, 'drop')
    await gateway.start()

    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('live'))
    await waitFor(() => {
      expect(shown('edit')).toBe('after')
      expect(shown('drop')).toBe('null')
    })
    expect(shown('same')).toBe('unchanged')
    // The restarted gateway sent values for the two changed records only.
    expect(await gateway.metric('fdb_live_gateway_events_sent_total{event="value"}')).toBe(2)
    expect(gateway.recordRequests).toBe(3)
  })

  test('unmounting every component releases the gateway watch after the linger', async () => {
    await tenant().put(Quote, 'a', quote('a'))
    await tenant().put(Quote, 'b', quote('b'))
    const view = render(<App ids={['a', 'b', 'a']} />)
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('live'))
    expect(await gateway.metric('fdb_live_gateway_active_watches')).toBe(2)

    view.rerender(<App ids={['a']} />)
    await vi_waitForMetric('fdb_live_gateway_active_watches', 1)
    view.unmount()
    await vi_waitForMetric('fdb_live_gateway_active_watches', 0)
    await vi_waitForMetric('fdb_live_gateway_open_streams', 0)
  })

  test('a user queryFn is invalidated (refetched) on change instead of written', async () => {
    await tenant().put(Quote, 'own', quote('v1', 1))
    let calls = 0
    function Likes() {
      const { data } = useSyncOne(Quote, 'own', {
        queryFn: async () => {
          calls += 1
          const record = await tenant().get(Quote, 'own')
          return record === null
            ? null
            : { ...record.value, content: `likes=${record.value.likes}` }
        },
      })
      return <p data-testid="quote-own">{data?.content ?? 'loading'}</p>
    }
    render(
      <SyncProvider gatewayUrl={gateway.url} tenant={TENANT} client={client}>
        <Likes />
      </SyncProvider>,
    )
    await waitFor(() => expect(shown('own')).toBe('likes=1'))
    await tenant().put(Quote, 'own', quote('v2', 2))
    await waitFor(() => expect(shown('own')).toBe('likes=2'))
    expect(calls).toBeGreaterThanOrEqual(2)
  })
})

describe('an invalid record id', () => {
  test('fails only its own query; the other records stay live', async () => {
    await tenant().put(Quote, 'good', quote('good v1'))
    // A control character: the gateway refuses it with invalid_id (docs/protocol.md).
    render(<App ids={['good', 'bad\u0007id']} />)
    await waitFor(() => {
      expect(shown('good')).toBe('good v1')
      expect(shown('bad\u0007id')).toBe('error:invalid_id')
    })
    await waitFor(() => expect(screen.getByTestId('quote-good').dataset['sync']).toBe('live'))
    await tenant().put(Quote, 'good', quote('good v2'))
    await waitFor(() => expect(shown('good')).toBe('good v2'))
    expect(screen.getByTestId('quote-bad\u0007id').dataset['sync']).toBe('error')
  })
})

describe('subscription errors', () => {
  beforeEach(async () => {
    cleanup()
    client.close()
    await gateway.close()
    gateway = await startRestartableGatewayForTesting({ maxWatches: 1 })
    setup()
  })

  test("an error event becomes that query's error with the gateway's code; others keep working", async () => {
    await tenant().put(Quote, 'x', quote('x'))
    await tenant().put(Quote, 'y', quote('y'))
    render(<App ids={['x', 'y']} />)
    await waitFor(() => {
      const texts = [shown('x'), shown('y')].sort()
      expect(texts).toEqual(['error:too_many_watches', expect.stringMatching(/^[xy]$/)])
    })
    const failed = shown('x') === 'error:too_many_watches' ? 'x' : 'y'
    expect(screen.getByTestId(`quote-${failed}`).dataset['sync']).toBe('error')
  })
})

async function vi_waitForMetric(name: string, value: number): Promise<void> {
  await waitFor(async () => expect(await gateway.metric(name)).toBe(value), { timeout: 5000 })
}
