import './test-support/node-typed-arrays.js'
import {
  startRestartableGatewayForTesting,
  type RestartableGatewayForTesting,
} from '@fdb-live/gateway/test-support'
import { QueryClient } from '@tanstack/react-query'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { SyncListEntry } from './cache-writer.js'
import { syncListQueryKey } from './query-key.js'
import type { SyncClient } from './sync-client.js'
import { createMemoryLocksForTesting } from './test-support/memory-locks.js'
import { Quote, quote, type QuoteDoc } from './test-support/quote.js'
import { createTestClientForTesting } from './test-support/test-client.js'

// Each "tab" is a client with its own QueryClient; they share one lock manager and talk over
// Node's BroadcastChannel, as tabs of one origin do (see cross-tab.test.ts).
interface Tab {
  client: SyncClient
  /** The list as this tab's cache has it: `id=content` in order. */
  shown(): string | undefined
}

const TENANT = 'acme'
let gateway: RestartableGatewayForTesting
let locks: LockManager
let tabs: Tab[]

function openTab(): Tab {
  const queryClient = new QueryClient()
  const client = createTestClientForTesting(gateway.url, {
    tenant: TENANT,
    queryClient,
    lingerMs: 20,
    crossTab: { locks },
  })
  const tab: Tab = {
    client,
    shown: () =>
      queryClient
        .getQueryData<SyncListEntry<QuoteDoc>>(syncListQueryKey(TENANT, Quote))
        ?.members.map((m) => `${m.id}=${m.value.content}`)
        .join(' '),
  }
  client.subscribeList(Quote.name, null)
  tabs.push(tab)
  return tab
}

const waitFor = (check: () => void | Promise<void>) =>
  vi.waitFor(check, { timeout: 10_000, interval: 20 })
const tenant = () => gateway.repo().tenant(TENANT)

beforeEach(async () => {
  gateway = await startRestartableGatewayForTesting()
  locks = createMemoryLocksForTesting()
  tabs = []
})

afterEach(async () => {
  for (const tab of tabs) tab.client.close()
  await gateway.close()
})

describe('a list across tabs', () => {
  test('a tab that joins a list the leader already streams gets it at once; changes reach both over one stream', async () => {
    for (const id of ['a', 'b']) await tenant().put(Quote, id, quote(id))
    const first = openTab()
    await waitFor(() => expect(first.shown()).toBe('a=a b=b'))
    const second = openTab()
    await waitFor(() => {
      expect(second.shown()).toBe('a=a b=b')
      expect(second.client.getListStatus(Quote.name, null)).toBe('live')
    })
    expect(await gateway.metric('fdb_live_gateway_open_streams')).toBe(1)

    await tenant().put(Quote, 'c', quote('c'))
    await tenant().delete(Quote, 'a')
    await waitFor(() => {
      for (const tab of [first, second]) expect(tab.shown()).toBe('b=b c=c')
    })
  })

  test('when the leading tab closes, the other resumes the list from its version and stays exact', async () => {
    for (const id of ['a', 'b']) await tenant().put(Quote, id, quote(id))
    const leader = openTab()
    await waitFor(() => expect(leader.shown()).toBe('a=a b=b'))
    const follower = openTab()
    await waitFor(() => expect(follower.shown()).toBe('a=a b=b'))
    const requests = gateway.streamRequests

    leader.client.close()
    await tenant().put(Quote, 'b', quote('b2'))
    await waitFor(() => expect(follower.shown()).toBe('a=a b=b2'))
    expect(gateway.streamRequests).toBeGreaterThan(requests)
    // The new leader asked from its own list's version, not for the whole list.
    const body = gateway.streamBodies.at(-1) as { subscriptions: { since?: string }[] }
    expect(body.subscriptions[0]?.since).toMatch(/^[0-9a-f]{20}$/)
    const list = await tenant().list(Quote)
    expect(follower.shown()).toBe(list.map((r) => `${r.id}=${r.value.content}`).join(' '))
  })
})
