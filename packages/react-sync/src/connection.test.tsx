import './test-support/node-typed-arrays.js'
import {
  startRestartableGatewayForTesting,
  type RestartableGatewayForTesting,
} from '@fdb-live/gateway/test-support'
import { cleanup, render, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, test } from 'vitest'
import type { SyncClient, SyncClientOptions } from './sync-client.js'
import {
  QuoteApp,
  shownForTesting as shown,
  statusShownForTesting as statusShown,
  syncShownForTesting as syncShown,
} from './test-support/quote-app.js'
import { Quote, quote } from './test-support/quote.js'
import { createTestClientForTesting } from './test-support/test-client.js'

const TENANT = 'acme'
let gateway: RestartableGatewayForTesting
let client: SyncClient

async function setup(
  gatewayOptions: Parameters<typeof startRestartableGatewayForTesting>[0] = {},
  options: Partial<SyncClientOptions> = {},
): Promise<void> {
  gateway = await startRestartableGatewayForTesting(gatewayOptions)
  client = createTestClientForTesting(gateway.url, { tenant: TENANT, ...options })
}
const tenant = () => gateway.repo().tenant(TENANT)

afterEach(async () => {
  cleanup()
  client.close()
  await gateway.close()
})

describe('a stream request that never gets response headers', () => {
  test('times out and reconnects: the page leaves "connecting" and shows the record live', async () => {
    await setup({}, { idleTimeoutMs: 300 })
    await tenant().put(Quote, 'q', quote('hello'))
    gateway.holdStreams = true // a black-holed connection: accepted, never answered
    render(<QuoteApp client={client} ids={['q']} />)
    await waitFor(() => expect(gateway.streamRequests).toBe(1))
    gateway.holdStreams = false

    await waitFor(() => expect(syncShown('q')).toBe('live'), { timeout: 5000 })
    expect(shown('q')).toBe('hello')
    expect(statusShown()).toBe('live')
    expect(gateway.streamRequests).toBe(2)
  })
})

describe('a stream request the gateway refuses (4xx)', () => {
  test('is not retried blindly: every record shows the limit it hit, and a smaller set goes live', async () => {
    await setup({ maxSubscriptionsPerStream: 2 })
    for (const id of ['a', 'b', 'c']) await tenant().put(Quote, id, quote(id))
    const view = render(<QuoteApp client={client} ids={['a', 'b', 'c']} />)

    await waitFor(() => {
      for (const id of ['a', 'b', 'c']) expect(shown(id)).toBe('error:too_many_subscriptions')
    })
    expect(statusShown()).toBe('error')
    expect(client.getStatus().lastError).toMatchObject({
      message: expect.stringMatching(/limit is 2/),
    })

    // Within the limit again: one new request, and the records load.
    view.rerender(<QuoteApp client={client} ids={['a', 'b']} />)
    await waitFor(
      () => {
        expect(shown('a')).toBe('a')
        expect(shown('b')).toBe('b')
        expect(statusShown()).toBe('live')
      },
      { timeout: 5000 },
    )
    expect(gateway.streamRequests).toBe(2)
  })
})

describe('a set of records larger than one stream may carry', () => {
  test('is split over several streams: every record is live and follows changes', async () => {
    await setup({ maxSubscriptionsPerStream: 2 }, { maxSubscriptionsPerStream: 2 })
    const ids = ['a', 'b', 'c', 'd', 'e']
    for (const id of ids) await tenant().put(Quote, id, quote(`${id}1`))
    render(<QuoteApp client={client} ids={ids} />)

    await waitFor(() => {
      for (const id of ids) expect(syncShown(id)).toBe('live')
      expect(statusShown()).toBe('live')
    })
    expect(await gateway.metric('fdb_live_gateway_open_streams')).toBe(3)
    await tenant().put(Quote, 'e', quote('e2'))
    await waitFor(() => expect(shown('e')).toBe('e2'))
  })
})

describe("changing a component's id", () => {
  test('4 quick id changes reopen the stream a bounded number of times, and old watches are released', async () => {
    // A window that the paging below fits in even on a loaded machine.
    await setup({}, { batchWindowMs: 1000 })
    const ids = ['q0', 'q1', 'q2', 'q3', 'q4']
    for (const id of ids) await tenant().put(Quote, id, quote(`quote ${id}`))
    const view = render(<QuoteApp client={client} ids={['q0']} />)
    await waitFor(() => expect(syncShown('q0')).toBe('live'))
    expect(gateway.streamRequests).toBe(1)

    // The user pages through quotes, looking at each one as soon as it shows.
    for (const id of ids.slice(1)) {
      view.rerender(<QuoteApp client={client} ids={[id]} />)
      await waitFor(() => expect(shown(id)).toBe(`quote ${id}`))
    }
    await waitFor(
      async () => {
        expect(syncShown('q4')).toBe('live')
        expect(await gateway.metric('fdb_live_gateway_active_watches')).toBe(1)
      },
      { timeout: 5000 },
    )
    // One request at the start, one for the changes, at most one to release the old records
    // (before: one per id change and one per old record's linger expiry, 9 in all).
    expect(gateway.streamRequests).toBeLessThanOrEqual(3)
  })
})
