import './test-support/node-typed-arrays.js'
import { QueryClient } from '@tanstack/react-query'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { SyncEntry } from './cache-writer.js'
import { syncQueryKey } from './query-key.js'
import type { SyncClient } from './sync-client.js'
import {
  TEST_SECRET_FOR_TESTING,
  signTokenForTesting,
  startRestartableGatewayForTesting,
  type RestartableGatewayForTesting,
} from '@fdb-live/gateway/test-support'
import { createMemoryLocksForTesting } from './test-support/memory-locks.js'
import { Quote, quote, type QuoteDoc } from './test-support/quote.js'
import { createTestClientForTesting } from './test-support/test-client.js'

// Each "tab" is a client with its own QueryClient. They share one lock manager (as tabs of
// one origin do) and talk over Node's BroadcastChannel, which delivers across instances.
interface Tab {
  client: SyncClient
  queryClient: QueryClient
  content(id: string): string | null | undefined
}

const TENANT = 'acme'
let gateway: RestartableGatewayForTesting
let locks: LockManager
let tabs: Tab[]

function openTab(identity: { getToken?: () => Promise<string>; shareKey?: string } = {}): Tab {
  const queryClient = new QueryClient()
  const client = createTestClientForTesting(gateway.url, {
    tenant: TENANT,
    queryClient,
    lingerMs: 20,
    crossTab: { locks },
    getToken: identity.getToken,
    shareKey: identity.shareKey,
  })
  const tab: Tab = {
    client,
    queryClient,
    content: (id) => {
      const entry = queryClient.getQueryData<SyncEntry<QuoteDoc>>(syncQueryKey(TENANT, Quote, id))
      return entry === undefined ? undefined : (entry.value?.content ?? null)
    },
  }
  tabs.push(tab)
  return tab
}

/** Two tabs on records a and b: the first to subscribe leads and holds the one stream. */
async function leaderOnAWithFollowerOnB(): Promise<{ leader: Tab; follower: Tab }> {
  const t = gateway.repo().tenant(TENANT)
  await t.put(Quote, 'a', quote('a1'))
  await t.put(Quote, 'b', quote('b1'))
  const leader = openTab()
  leader.client.subscribe('quotes', 'a')
  const follower = openTab()
  follower.client.subscribe('quotes', 'b')
  return { leader, follower }
}

const waitFor = (check: () => void | Promise<void>) =>
  vi.waitFor(check, { timeout: 10_000, interval: 20 })

beforeEach(async () => {
  gateway = await startRestartableGatewayForTesting()
  locks = createMemoryLocksForTesting()
  tabs = []
})

afterEach(async () => {
  for (const tab of tabs) tab.client.close()
  await gateway.close()
})

describe('cross-tab sharing', () => {
  test('10 tabs hold one stream between them; a write reaches every tab', async () => {
    const t = gateway.repo().tenant(TENANT)
    await t.put(Quote, 'shared', quote('shared v1'))
    for (let i = 0; i < 10; i++) await t.put(Quote, `own${i}`, quote(`own ${i}`))

    const opened = Array.from({ length: 10 }, (_, i) => {
      const tab = openTab()
      tab.client.subscribe('quotes', 'shared')
      tab.client.subscribe('quotes', `own${i}`)
      return tab
    })

    await waitFor(() => {
      opened.forEach((tab, i) => {
        expect(tab.content('shared')).toBe('shared v1')
        expect(tab.content(`own${i}`)).toBe(`own ${i}`)
        expect(tab.client.getStatus().status).toBe('live')
      })
    })
    expect(await gateway.metric('fdb_live_gateway_open_streams')).toBe(1)
    expect(await gateway.metric('fdb_live_gateway_active_watches')).toBe(11)

    await t.put(Quote, 'shared', quote('shared v2'))
    await waitFor(() => {
      for (const tab of opened) expect(tab.content('shared')).toBe('shared v2')
    })
  })

  test('when the leading tab closes, another tab takes over and resumes the stream', async () => {
    const t = gateway.repo().tenant(TENANT)
    const { leader, follower } = await leaderOnAWithFollowerOnB()
    await waitFor(async () => {
      expect(follower.content('b')).toBe('b1')
      expect(await gateway.metric('fdb_live_gateway_active_watches')).toBe(2)
    })
    expect(await gateway.metric('fdb_live_gateway_open_streams')).toBe(1)

    leader.client.close()
    await waitFor(async () => {
      expect(await gateway.metric('fdb_live_gateway_open_streams')).toBe(1)
      expect(await gateway.metric('fdb_live_gateway_active_watches')).toBe(1)
    })
    await t.put(Quote, 'b', quote('b2'))
    await waitFor(() => expect(follower.content('b')).toBe('b2'))
  })

  test("a tab that joins with an older cached version than the leader's catches up", async () => {
    const t = gateway.repo().tenant(TENANT)
    const old = await t.put(Quote, 'k', quote('k1'))
    const current = await t.put(Quote, 'k', quote('k2'))
    const key = syncQueryKey(TENANT, Quote, 'k')
    // The leader has the current version (hydrated or restored), so its stream skips the
    // initial value; the second tab restored an older one (e.g. from a persisted cache).
    const leader = openTab()
    leader.queryClient.setQueryData(key, { value: quote('k2'), version: current.version })
    leader.client.subscribe('quotes', 'k')
    await waitFor(() => expect(leader.client.getKeyStatus('quotes', 'k')).toBe('live'))

    const follower = openTab()
    follower.queryClient.setQueryData(key, { value: quote('k1'), version: old.version })
    follower.client.subscribe('quotes', 'k')
    await waitFor(() => expect(follower.content('k')).toBe('k2'))
  })

  test("a follower that closes leaves the leader's stream", async () => {
    const { leader, follower } = await leaderOnAWithFollowerOnB()
    await waitFor(async () => {
      expect(await gateway.metric('fdb_live_gateway_active_watches')).toBe(2)
    })

    follower.client.close()
    await waitFor(async () => {
      expect(await gateway.metric('fdb_live_gateway_active_watches')).toBe(1)
    })
    expect(leader.content('a')).toBe('a1')
  })
})

describe('cross-tab sharing: failed subscriptions', () => {
  beforeEach(async () => {
    await gateway.close()
    gateway = await startRestartableGatewayForTesting({ maxWatches: 1 })
  })

  test("a tab that joins a record whose subscription failed on the leader gets the error, not 'live'", async () => {
    const t = gateway.repo().tenant(TENANT)
    await t.put(Quote, 'a', quote('a1'))
    await t.put(Quote, 'x', quote('x1'))
    const leader = openTab()
    leader.client.subscribe('quotes', 'a')
    leader.client.subscribe('quotes', 'x')
    // The store has one watch: one of the two records fails with too_many_watches.
    let failedId = ''
    await waitFor(() => {
      failedId = ['a', 'x'].find((id) => leader.client.getKeyStatus('quotes', id) === 'error')!
      expect(failedId).toBeDefined()
      expect(leader.client.getStatus().status).toBe('live')
    })

    const follower = openTab()
    follower.client.subscribe('quotes', failedId)
    // What the follower's component would show (`syncStatus`): the error, not 'live'.
    await waitFor(() => expect(follower.client.getKeyStatus('quotes', failedId)).toBe('error'))
  })
})

describe('cross-tab sharing: only between tabs of one identity', () => {
  beforeEach(async () => {
    await gateway.close()
    gateway = await startRestartableGatewayForTesting({ auth: { secret: TEST_SECRET_FOR_TESTING } })
    const t = gateway.repo().tenant(TENANT)
    await t.put(Quote, 'ann', quote('ann1'))
    await t.put(Quote, 'bob', quote('bob1'))
  })
  // Each user may read only their own record.
  const userToken = (sub: string) => () =>
    signTokenForTesting({ sub, grants: [`acme/quotes/${sub}`] })

  test("two users' tabs on one origin never share a stream nor see each other's records", async () => {
    const ann = openTab({ getToken: userToken('ann') })
    ann.client.subscribe('quotes', 'ann')
    await waitFor(() => expect(ann.client.getKeyStatus('quotes', 'ann')).toBe('live'))
    const bob = openTab({ getToken: userToken('bob') })
    bob.client.subscribe('quotes', 'bob')
    bob.client.subscribe('quotes', 'ann') // outside Bob's grants
    await waitFor(async () => {
      expect(bob.content('bob')).toBe('bob1')
      expect(bob.client.getKeyStatus('quotes', 'ann')).toBe('error')
      expect(await gateway.metric('fdb_live_gateway_open_streams')).toBe(2)
    })
    await gateway.repo().tenant(TENANT).put(Quote, 'ann', quote('ann2'))
    await waitFor(() => expect(ann.content('ann')).toBe('ann2'))
    expect(bob.content('ann')).toBeUndefined()
    expect(ann.content('bob')).toBeUndefined()
  })

  test('two tabs of one user (same sub, different tokens) share one stream', async () => {
    const first = openTab({ getToken: userToken('ann') })
    first.client.subscribe('quotes', 'ann')
    await waitFor(() => expect(first.client.getKeyStatus('quotes', 'ann')).toBe('live'))
    const second = openTab({ getToken: userToken('ann') })
    second.client.subscribe('quotes', 'ann')
    await waitFor(() => expect(second.client.getKeyStatus('quotes', 'ann')).toBe('live'))
    expect(second.content('ann')).toBe('ann1')
    expect(await gateway.metric('fdb_live_gateway_open_streams')).toBe(1)
  })

  test('an explicit shareKey decides: different keys, separate streams', async () => {
    const first = openTab({ getToken: userToken('ann'), shareKey: 'device-1' })
    const second = openTab({ getToken: userToken('ann'), shareKey: 'device-2' })
    first.client.subscribe('quotes', 'ann')
    second.client.subscribe('quotes', 'ann')
    await waitFor(async () => {
      expect(first.client.getKeyStatus('quotes', 'ann')).toBe('live')
      expect(second.client.getKeyStatus('quotes', 'ann')).toBe('live')
      expect(await gateway.metric('fdb_live_gateway_open_streams')).toBe(2)
    })
  })
})
