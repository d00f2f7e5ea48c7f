import './test-support/node-typed-arrays.js'
import {
  startRestartableGatewayForTesting,
  type RestartableGatewayForTesting,
} from '@fdb-live/gateway/test-support'
import { QueryClient, skipToken } from '@tanstack/react-query'
import { cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { SyncProvider } from './provider.js'
import { createSyncClient, type SyncClient } from './sync-client.js'
import { Quote, quote } from './test-support/quote.js'
import { useSyncOne, type UseSyncOneResult } from './use-sync-one.js'
import type { QuoteDoc } from './test-support/quote.js'

const TENANT = 'acme'
let gateway: RestartableGatewayForTesting
let client: SyncClient

beforeEach(async () => {
  gateway = await startRestartableGatewayForTesting()
  client = createSyncClient({
    gatewayUrl: gateway.url,
    tenant: TENANT,
    queryClient: new QueryClient(),
    crossTab: false,
  })
  const t = gateway.repo().tenant(TENANT)
  await t.put(Quote, 'on', quote('on'))
  await t.put(Quote, 'off', quote('off'))
})
afterEach(async () => {
  cleanup()
  client.close()
  await gateway.close()
})

function Show({ id, result }: { id: string; result: UseSyncOneResult<QuoteDoc> }) {
  const text = result.fetchStatus === 'idle' && result.isPending ? 'disabled' : result.data?.content
  return <p data-testid={id}>{text ?? 'loading'}</p>
}
function On() {
  return <Show id="on" result={useSyncOne(Quote, 'on')} />
}
function EnabledFn({ on }: { on: boolean }) {
  return <Show id="off" result={useSyncOne(Quote, 'off', { enabled: () => on })} />
}
function Skip({ on }: { on: boolean }) {
  return <Show id="off" result={useSyncOne(Quote, 'off', on ? {} : { queryFn: skipToken })} />
}

const page = (Disabled: typeof EnabledFn, on: boolean) => (
  <SyncProvider gatewayUrl={gateway.url} tenant={TENANT} client={client}>
    <On />
    <Disabled on={on} />
  </SyncProvider>
)
const streamedIds = () =>
  gateway.streamBodies.flatMap((body) =>
    (body as { subscriptions: { id: string }[] }).subscriptions.map((s) => s.id),
  )

test.each([
  ['enabled: () => false', EnabledFn],
  ['queryFn: skipToken', Skip],
])('%s keeps the record disabled: not fetched, not streamed, not shown', async (_, Disabled) => {
  const view = render(page(Disabled, false))
  await waitFor(() => {
    expect(screen.getByTestId('on').textContent).toBe('on')
    expect(client.getKeyStatus('quotes', 'on')).toBe('live')
  })
  expect(screen.getByTestId('off').textContent).toBe('disabled')
  expect(streamedIds()).toEqual(['on'])
  expect(gateway.recordRequests).toBe(1)

  // Enabling it loads and streams it, as in TanStack Query.
  view.rerender(page(Disabled, true))
  await waitFor(() => expect(screen.getByTestId('off').textContent).toBe('off'))
  // Within the client's batch window (250 ms) after the first request.
  await waitFor(() => expect(streamedIds()).toContain('off'), { timeout: 5000 })
})
