import { QueryClient } from '@tanstack/react-query'
import { cleanup, render } from '@testing-library/react'
import { useContext } from 'react'
import { afterEach, expect, test } from 'vitest'
import { SyncProvider } from './provider.js'
import { SyncContext } from './sync-context.js'
import type { SyncClient } from './sync-client.js'

afterEach(cleanup)

test('re-rendering with an inline crossTab object keeps the same client (and stream)', () => {
  const queryClient = new QueryClient()
  const seen: SyncClient[] = []
  function Probe() {
    const value = useContext(SyncContext)
    if (value) seen.push(value.client)
    return null
  }
  const tree = (tenant: string) => (
    <SyncProvider
      gatewayUrl="http://127.0.0.1:1"
      tenant={tenant}
      queryClient={queryClient}
      crossTab={{ BroadcastChannel: undefined }}
    >
      <Probe />
    </SyncProvider>
  )
  const { rerender } = render(tree('acme'))
  rerender(tree('acme'))
  rerender(tree('acme'))
  expect(new Set(seen).size).toBe(1)
  // A real change of options does make a new client.
  rerender(tree('other'))
  expect(new Set(seen).size).toBe(2)
})
