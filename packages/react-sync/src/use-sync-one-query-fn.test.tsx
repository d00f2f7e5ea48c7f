import './test-support/node-typed-arrays.js'
import {
  startRestartableGatewayForTesting,
  type RestartableGatewayForTesting,
} from '@fdb-live/gateway/test-support'
import { QueryClient } from '@tanstack/react-query'
import { cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { SyncProvider } from './provider.js'
import { createSyncClient, type SyncClient } from './sync-client.js'
import { Quote, quote } from './test-support/quote.js'
import { useSyncOne } from './use-sync-one.js'

const TENANT = 'acme'
let gateway: RestartableGatewayForTesting
let client: SyncClient
const tenant = () => gateway.repo().tenant(TENANT)

beforeEach(async () => {
  gateway = await startRestartableGatewayForTesting()
  client = createSyncClient({
    gatewayUrl: gateway.url,
    tenant: TENANT,
    queryClient: new QueryClient(),
    crossTab: false,
  })
})
afterEach(async () => {
  cleanup()
  client.close()
  await gateway.close()
})

test('a change while the first load of a custom queryFn is in flight ends on the new value', async () => {
  await tenant().put(Quote, 'q', quote('old'))
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  let calls = 0
  function View() {
    // The app's own API, whose first answer is slow: it read "old" and arrives late.
    const { data } = useSyncOne(Quote, 'q', {
      queryFn: async () => {
        const first = ++calls === 1
        const record = await tenant().get(Quote, 'q')
        if (first) await held
        return record?.value ?? null
      },
    })
    return <p data-testid="q">{data?.content ?? 'loading'}</p>
  }
  render(
    <SyncProvider gatewayUrl={gateway.url} tenant={TENANT} client={client}>
      <View />
    </SyncProvider>,
  )
  await waitFor(() => expect(client.getKeyStatus('quotes', 'q')).toBe('live'))
  const { version } = await tenant().put(Quote, 'q', quote('new'))
  await waitFor(() => expect(client.knownVersion('quotes', 'q')).toBe(version))
  release()

  // The user sees the new value, not the slow first answer.
  await waitFor(() => expect(screen.getByTestId('q').textContent).toBe('new'))
})

test('a component with the default queryFn and one with its own on the same record each show their data', async () => {
  await tenant().put(Quote, 'q', quote('v1', 1))
  function FromGateway() {
    const { data } = useSyncOne(Quote, 'q')
    return <p data-testid="gateway">{data?.content ?? 'loading'}</p>
  }
  function FromOwnApi() {
    // The app's own API: the same record, in its own words.
    const { data } = useSyncOne(Quote, 'q', {
      queryFn: async () => {
        const record = await tenant().get(Quote, 'q')
        return record && { ...record.value, content: `${record.value.likes} likes` }
      },
    })
    return <p data-testid="own">{data?.content ?? 'loading'}</p>
  }
  render(
    <SyncProvider gatewayUrl={gateway.url} tenant={TENANT} client={client}>
      <FromGateway />
      <FromOwnApi />
    </SyncProvider>,
  )
  await waitFor(() => {
    expect(screen.getByTestId('gateway').textContent).toBe('v1')
    expect(screen.getByTestId('own').textContent).toBe('1 likes')
  })
  await tenant().put(Quote, 'q', quote('v2', 2))
  await waitFor(() => {
    expect(screen.getByTestId('gateway').textContent).toBe('v2')
    expect(screen.getByTestId('own').textContent).toBe('2 likes')
  })
})
