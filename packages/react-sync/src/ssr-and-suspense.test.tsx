import './test-support/node-typed-arrays.js'
import {
  QueryClient,
  QueryClientProvider,
  dehydrate,
  hydrate,
  type DehydratedState,
} from '@tanstack/react-query'
import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import { Suspense } from 'react'
import { renderToString } from 'react-dom/server'
import { hydrateRoot, type Root } from 'react-dom/client'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { SyncProvider } from './provider.js'
import { createSyncClient } from './sync-client.js'
import { syncQueryKey } from './query-key.js'
import { syncQueryOptions } from './sync-query-options.js'
import {
  startRestartableGatewayForTesting,
  type RestartableGatewayForTesting,
} from '@fdb-live/gateway/test-support'
import { Quote, quote } from './test-support/quote.js'
import { useSuspenseSyncOne, useSyncOne } from './use-sync-one.js'

let gateway: RestartableGatewayForTesting
beforeEach(async () => {
  gateway = await startRestartableGatewayForTesting()
})
afterEach(async () => {
  cleanup()
  await gateway.close()
})

function View() {
  const { data, version, syncStatus } = useSyncOne(Quote, 'q')
  return (
    <p data-testid="q" data-v={version} data-s={syncStatus}>
      {data?.content ?? 'none'}
    </p>
  )
}
function SView() {
  const { data } = useSuspenseSyncOne(Quote, 'q')
  return <p data-testid="s">{data?.content ?? 'null'}</p>
}

test('server-rendered data and version, hydrated on the client, continue live with no refetch', async () => {
  const t = gateway.repo().tenant('acme')
  const { version } = await t.put(Quote, 'q', quote('server'))
  const serverQc = new QueryClient()
  const serverClient = createSyncClient({
    gatewayUrl: gateway.url,
    tenant: 'acme',
    queryClient: serverQc,
    crossTab: false,
  })
  await serverQc.prefetchQuery(syncQueryOptions(serverClient, Quote, 'q'))
  const html = renderToString(
    <QueryClientProvider client={serverQc}>
      <SyncProvider gatewayUrl={gateway.url} tenant="acme">
        <View />
      </SyncProvider>
    </QueryClientProvider>,
  )
  expect(html).toContain('server')
  expect(html).toContain(version)
  // Rendering on the server opens no stream.
  expect(gateway.streamRequests).toBe(0)
  // As a framework would: serialise the dehydrated cache into the page and read it back.
  const state = JSON.parse(JSON.stringify(dehydrate(serverQc))) as DehydratedState
  const qc = new QueryClient()
  hydrate(qc, state)
  const container = document.createElement('div')
  container.innerHTML = html
  document.body.appendChild(container)
  const errors: unknown[] = []
  let root: Root | undefined
  act(() => {
    root = hydrateRoot(
      container,
      <QueryClientProvider client={qc}>
        <SyncProvider gatewayUrl={gateway.url} tenant="acme" crossTab={false}>
          <View />
        </SyncProvider>
      </QueryClientProvider>,
      { onRecoverableError: (e) => errors.push(e) },
    )
  })
  await waitFor(() => expect(screen.getByTestId('q').dataset['s']).toBe('live'))
  await t.put(Quote, 'q', quote('client'))
  await waitFor(() => expect(screen.getByTestId('q').textContent).toBe('client'))
  expect(errors).toEqual([])
  act(() => root?.unmount())
  container.remove()
  // The one GET was the server's prefetch: the client resumed from the hydrated version.
  expect(gateway.recordRequests).toBe(1)
})

test('useSuspenseSyncOne suspends until loaded, then follows changes and deletes', async () => {
  const t = gateway.repo().tenant('acme')
  await t.put(Quote, 'q', quote('a'))
  const qc = new QueryClient()
  render(
    <SyncProvider gatewayUrl={gateway.url} tenant="acme" queryClient={qc} crossTab={false}>
      <Suspense fallback={<p>wait</p>}>
        <SView />
      </Suspense>
    </SyncProvider>,
  )
  await waitFor(() => expect(screen.getByTestId('s').textContent).toBe('a'))
  await t.put(Quote, 'q', quote('b'))
  await waitFor(() => expect(screen.getByTestId('s').textContent).toBe('b'))
  await t.delete(Quote, 'q')
  await waitFor(() => expect(screen.getByTestId('s').textContent).toBe('null'))
})

test('hydrating an older server snapshot over newer live data keeps the newer value, and stays live', async () => {
  const t = gateway.repo().tenant('acme')
  const old = await t.put(Quote, 'q', quote('older'))
  // The server rendered the page at the older version (and later than the client's data).
  const serverQc = new QueryClient()
  serverQc.setQueryData(
    syncQueryKey('acme', Quote, 'q'),
    { value: quote('older'), version: old.version },
    { updatedAt: Date.now() + 60_000 },
  )
  const snapshot = JSON.parse(JSON.stringify(dehydrate(serverQc))) as DehydratedState

  const qc = new QueryClient()
  render(
    <SyncProvider gatewayUrl={gateway.url} tenant="acme" queryClient={qc} crossTab={false}>
      <View />
    </SyncProvider>,
  )
  const newer = await t.put(Quote, 'q', quote('newer'))
  await waitFor(() => {
    expect(screen.getByTestId('q').textContent).toBe('newer')
    expect(screen.getByTestId('q').dataset['s']).toBe('live')
  })

  // A route transition hydrates the server's older snapshot (as a HydrationBoundary does).
  act(() => hydrate(qc, snapshot))
  await waitFor(() => {
    expect(qc.getQueryData(syncQueryKey('acme', Quote, 'q'))).toMatchObject({
      version: newer.version,
    })
    expect(screen.getByTestId('q').textContent).toBe('newer')
  })
  // Data and `since` agree: the next change still arrives.
  await t.put(Quote, 'q', quote('newest'))
  await waitFor(() => expect(screen.getByTestId('q').textContent).toBe('newest'))
})
