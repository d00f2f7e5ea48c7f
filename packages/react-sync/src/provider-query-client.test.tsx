import './test-support/node-typed-arrays.js'
import {
  startRestartableGatewayForTesting,
  type RestartableGatewayForTesting,
} from '@fdb-live/gateway/test-support'
import { QueryClient } from '@tanstack/react-query'
import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { SyncProvider } from './provider.js'
import { Quote, quote } from './test-support/quote.js'
import { useSyncOne } from './use-sync-one.js'

let gateway: RestartableGatewayForTesting
beforeEach(async () => {
  gateway = await startRestartableGatewayForTesting()
  await gateway.repo().tenant('acme').put(Quote, 'q', quote('from the store'))
})
afterEach(async () => {
  cleanup()
  await gateway.close()
})

test('<SyncProvider queryClient> without a QueryClientProvider refetches on window focus', async () => {
  let reads = 0
  function Views() {
    // The app's own API: each read returns a new count.
    const { data, syncStatus, fetchStatus } = useSyncOne(Quote, 'q', {
      queryFn: () => Promise.resolve(quote(`read ${++reads}`)),
    })
    return (
      <p data-testid="q" data-settled={syncStatus === 'live' && fetchStatus === 'idle'}>
        {data?.content ?? 'loading'}
      </p>
    )
  }
  render(
    <SyncProvider
      gatewayUrl={gateway.url}
      tenant="acme"
      queryClient={new QueryClient()}
      crossTab={false}
    >
      <Views />
    </SyncProvider>,
  )
  await waitFor(() => expect(screen.getByTestId('q').dataset['settled']).toBe('true'))
  const before = reads
  expect(screen.getByTestId('q').textContent).toBe(`read ${before}`)

  // The user comes back to the tab: TanStack refetches stale queries of a mounted client.
  act(() => {
    window.dispatchEvent(new Event('visibilitychange'))
  })
  await waitFor(() => expect(screen.getByTestId('q').textContent).toBe(`read ${before + 1}`))
})
