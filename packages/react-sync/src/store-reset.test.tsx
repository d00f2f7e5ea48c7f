import './test-support/node-typed-arrays.js'
import {
  openSseForTesting,
  startRestartableGatewayForTesting,
  type RestartableGatewayForTesting,
} from '@fdb-live/gateway/test-support'
import { QueryClient } from '@tanstack/react-query'
import { cleanup, render, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, expect, test } from 'vitest'
import type { SyncEntry } from './cache-writer.js'
import { syncQueryKey } from './query-key.js'
import { createSyncClient, type SyncClient } from './sync-client.js'
import { createMemoryLocksForTesting } from './test-support/memory-locks.js'
import {
  QuoteApp,
  shownForTesting as shown,
  statusShownForTesting as statusShown,
  syncShownForTesting as syncShown,
} from './test-support/quote-app.js'
import { Quote, quote, type QuoteDoc } from './test-support/quote.js'

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
    reconnectBaseDelayMs: 20,
    reconnectMaxDelayMs: 200,
    crossTab: false,
  })
})
afterEach(async () => {
  cleanup()
  client.close()
  await gateway.close()
})

/** Whether the gateway sends the store epoch (`event: hello`, docs/protocol.md). */
async function gatewaySendsEpoch(): Promise<boolean> {
  const sse = await openSseForTesting(`${gateway.url}/v1/tenants/${TENANT}/stream`, {
    body: { subscriptions: [] },
  })
  await sse.waitFor((e) => e.event === 'synced')
  sse.close()
  return sse.events[0]?.event === 'hello'
}

test('after the store is reset (versions go backwards), the page shows the new store and live', async (context) => {
  // Needs the gateway half of issue 10 item 3 (the store epoch); until it lands: skipped.
  if (!(await gatewaySendsEpoch())) context.skip('the gateway does not send the store epoch yet')
  for (let i = 1; i <= 5; i++) await tenant().put(Quote, 'q', quote(`old store v${i}`))
  await tenant().put(Quote, 'kept', quote('old store only'))
  render(<QuoteApp client={client} ids={['q', 'kept']} />)
  await waitFor(() => expect(shown('q')).toBe('old store v5'))
  await waitFor(() => expect(syncShown('q')).toBe('live'))

  // The store is replaced by a new one (reset, or restored from an older backup) whose
  // versions start lower than those the page holds.
  await gateway.wipe()
  await gateway.openStore()
  await tenant().put(Quote, 'q', quote('new store v1'))
  await gateway.start()

  await waitFor(() => {
    expect(shown('q')).toBe('new store v1')
    expect(shown('kept')).toBe('null') // not in the new store
    expect(syncShown('q')).toBe('live')
    expect(statusShown()).toBe('live')
  })
  // And it stays live on the new store.
  await tenant().put(Quote, 'q', quote('new store v2'))
  await waitFor(() => expect(shown('q')).toBe('new store v2'))
})

test('after a store reset, every tab sharing one stream shows the new store', async (context) => {
  if (!(await gatewaySendsEpoch())) context.skip('the gateway does not send the store epoch yet')
  for (let i = 1; i <= 5; i++) await tenant().put(Quote, 'q', quote(`old store v${i}`))
  const locks = createMemoryLocksForTesting()
  const tabs = [0, 1].map(() => {
    const queryClient = new QueryClient()
    const tab = createSyncClient({
      gatewayUrl: gateway.url,
      tenant: TENANT,
      queryClient,
      reconnectBaseDelayMs: 20,
      reconnectMaxDelayMs: 200,
      crossTab: { locks },
    })
    tab.subscribe('quotes', 'q')
    const content = () =>
      queryClient.getQueryData<SyncEntry<QuoteDoc>>(syncQueryKey(TENANT, Quote, 'q'))?.value
        ?.content
    return { tab, content }
  })
  try {
    await waitFor(() => {
      for (const { content } of tabs) expect(content()).toBe('old store v5')
    })
    await gateway.wipe()
    await gateway.openStore()
    await tenant().put(Quote, 'q', quote('new store v1'))
    await gateway.start()
    await waitFor(() => {
      for (const { tab, content } of tabs) {
        expect(content()).toBe('new store v1')
        expect(tab.getKeyStatus('quotes', 'q')).toBe('live')
      }
    })
  } finally {
    for (const { tab } of tabs) tab.close()
  }
})
