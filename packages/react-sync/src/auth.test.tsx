import './test-support/node-typed-arrays.js'
import {
  TEST_SECRET_FOR_TESTING,
  signTokenForTesting,
  startRestartableGatewayForTesting,
  type RestartableGatewayForTesting,
} from '@fdb-live/gateway/test-support'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { cleanup, render, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, test } from 'vitest'
import type { GetTokenOptions } from './gateway-http.js'
import type { SyncClient } from './sync-client.js'
import { SyncProvider } from './provider.js'
import {
  QuoteApp,
  QuoteView,
  shownForTesting as shown,
  statusShownForTesting as statusShown,
  syncShownForTesting as syncShown,
} from './test-support/quote-app.js'
import { Quote, quote } from './test-support/quote.js'
import { createTestClientForTesting } from './test-support/test-client.js'

const TENANT = 'acme'
let gateway: RestartableGatewayForTesting
let client: SyncClient

/**
 * A token service as an app runs one: it hands out its cached token until asked for a new
 * one (`refresh`), and records what it was asked.
 */
function tokenService(mint: (n: number) => Promise<string>) {
  const calls: (GetTokenOptions | undefined)[] = []
  let minted = 0
  let token: Promise<string> | undefined
  const getToken = (options?: GetTokenOptions) => {
    calls.push(options)
    if (token === undefined || options?.refresh === true) token = mint(++minted)
    return token
  }
  return { calls, getToken, minted: () => minted }
}

async function setup(
  getToken: (options?: GetTokenOptions) => Promise<string>,
  gatewayOptions: Parameters<typeof startRestartableGatewayForTesting>[0] = {},
): Promise<void> {
  gateway = await startRestartableGatewayForTesting({
    auth: { secret: TEST_SECRET_FOR_TESTING },
    ...gatewayOptions,
  })
  client = openClient(getToken)
}

function openClient(
  getToken: (options?: GetTokenOptions) => Promise<string>,
  fetch?: typeof globalThis.fetch,
): SyncClient {
  return createTestClientForTesting(gateway.url, { tenant: TENANT, getToken, fetch })
}
const tenant = () => gateway.repo().tenant(TENANT)
const grants = ['acme/quotes/*']

afterEach(async () => {
  cleanup()
  client.close()
  await gateway.close()
})

describe('a token that expires while the stream is open (token_expired)', () => {
  test('the client gets a new token and resumes at once: a change made after the expiry shows', async () => {
    // Every token lives 2 s, as a short-lived session token would.
    const tokens = tokenService(() => signTokenForTesting({ sub: 'ann', grants, expiresInSec: 2 }))
    await setup(tokens.getToken)
    await tenant().put(Quote, 'q', quote('before'))
    render(<QuoteApp client={client} ids={['q']} />)
    await waitFor(() => expect(syncShown('q')).toBe('live'))
    const requests = gateway.streamRequests
    const statuses: string[] = []
    client.onStatusChange(() => statuses.push(client.getStatus().status))

    // The first token expires: the gateway ends the stream, the client reopens with a new one.
    await waitFor(() => expect(gateway.streamRequests).toBe(requests + 1), { timeout: 5000 })
    await tenant().put(Quote, 'q', quote('after expiry'))
    await waitFor(() => expect(shown('q')).toBe('after expiry'), { timeout: 5000 })
    expect(statusShown()).toBe('live')
    expect(tokens.minted()).toBe(2)
    // Reopened at once, not as a failure with backoff: the page never showed "reconnecting".
    expect(statuses).not.toContain('reconnecting')
    // It resumed: the reopened stream carried the record's `since` and the store epoch.
    const body = gateway.streamBodies[requests] as {
      epoch?: string
      subscriptions: { since?: string }[]
    }
    expect(body.epoch).toBe(client.knownEpoch())
    expect(body.subscriptions[0]?.since).toEqual(expect.any(String))
  })
})

describe('a token the gateway refuses (401 unauthorized)', () => {
  test('the client asks for a new token once and the page goes live with it', async () => {
    const tokens = tokenService((n) =>
      signTokenForTesting({ sub: 'ann', grants, expiresInSec: n === 1 ? -10 : 3600 }),
    )
    await setup(tokens.getToken)
    await tenant().put(Quote, 'q', quote('hello'))
    render(<QuoteApp client={client} ids={['q']} />)
    await waitFor(() => expect(syncShown('q')).toBe('live'))
    expect(shown('q')).toBe('hello')
    expect(tokens.minted()).toBe(2)
  })

  test('through <SyncProvider getToken>: the refresh request reaches the app', async () => {
    const tokens = tokenService((n) =>
      signTokenForTesting({ sub: 'ann', grants, expiresInSec: n === 1 ? -10 : 3600 }),
    )
    await setup(tokens.getToken)
    await tenant().put(Quote, 'q', quote('hello'))
    const queryClient = new QueryClient()
    render(
      <QueryClientProvider client={queryClient}>
        <SyncProvider
          gatewayUrl={gateway.url}
          tenant={TENANT}
          getToken={tokens.getToken}
          crossTab={false}
        >
          <QuoteView id="q" />
        </SyncProvider>
      </QueryClientProvider>,
    )
    await waitFor(() => expect(syncShown('q')).toBe('live'))
    expect(shown('q')).toBe('hello')
    expect(tokens.minted()).toBe(2)
  })

  test('requests refused at once with one expired token share one new token', async () => {
    const tokens = tokenService((n) =>
      signTokenForTesting({ sub: 'ann', grants, expiresInSec: n === 1 ? -10 : 3600 }),
    )
    await setup(tokens.getToken)
    for (const id of ['a', 'b', 'c']) await tenant().put(Quote, id, quote(id))
    const read = (id: string) => client.fetchRecord<{ content: string }>('quotes', id)
    const entries = await Promise.all(['a', 'b', 'c'].map(read))
    expect(entries.map((e) => e.value?.content)).toEqual(['a', 'b', 'c'])
    expect(tokens.minted()).toBe(2)
  })

  test('a new token refused too: every record shows unauthorized, status error, no retry loop', async () => {
    const tokens = tokenService(() =>
      signTokenForTesting({ sub: 'ann', grants, key: new TextEncoder().encode('x'.repeat(40)) }),
    )
    await setup(tokens.getToken)
    await tenant().put(Quote, 'a', quote('a'))
    await tenant().put(Quote, 'b', quote('b'))
    render(<QuoteApp client={client} ids={['a', 'b']} />)
    await waitFor(() => {
      expect(shown('a')).toBe('error:unauthorized')
      expect(shown('b')).toBe('error:unauthorized')
      expect(statusShown()).toBe('error')
    })
    // One stream request and its one retry with a new token; then nothing more.
    expect(gateway.streamRequests).toBe(2)
    // A record read is refused the same way: one new token, no loop.
    const minted = tokens.minted()
    await expect(client.fetchRecord('quotes', 'a')).rejects.toMatchObject({ code: 'unauthorized' })
    expect(tokens.minted()).toBe(minted + 1)
    expect(gateway.streamRequests).toBe(2)
  })
})

describe('a record outside the grants (forbidden)', () => {
  test('that record shows forbidden; the others stay live and follow changes', async () => {
    const tokens = tokenService(() =>
      signTokenForTesting({ sub: 'ann', grants: ['acme/quotes/mine'] }),
    )
    await setup(tokens.getToken)
    await tenant().put(Quote, 'mine', quote('mine'))
    await tenant().put(Quote, 'theirs', quote('secret'))
    render(<QuoteApp client={client} ids={['mine', 'theirs']} />)
    await waitFor(() => {
      expect(shown('theirs')).toBe('error:forbidden')
      expect(syncShown('mine')).toBe('live')
    })
    await tenant().put(Quote, 'mine', quote('mine, changed'))
    await waitFor(() => expect(shown('mine')).toBe('mine, changed'))
    expect(statusShown()).toBe('live')
    expect(shown('theirs')).toBe('error:forbidden')
  })
})

describe('a principal over its open-stream limit (429 rate_limited)', () => {
  test("waits the gateway's Retry-After, not the backoff, then goes live", async () => {
    const tokens = tokenService(() => signTokenForTesting({ sub: 'ann', grants }))
    await setup(tokens.getToken, { limits: { maxStreamsPerPrincipal: 1 } })
    await tenant().put(Quote, 'a', quote('a'))
    await tenant().put(Quote, 'b', quote('b'))
    client.subscribe('quotes', 'a')
    await waitFor(() => expect(client.getKeyStatus('quotes', 'a')).toBe('live'))

    // A second client of the same user: its stream is refused while the first is open.
    const streamRequestTimes: number[] = []
    const second = openClient(tokens.getToken, (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      if (url.endsWith('/stream')) streamRequestTimes.push(performance.now())
      return globalThis.fetch(input, init)
    })
    try {
      second.subscribe('quotes', 'b')
      await waitFor(() =>
        expect(second.getStatus().lastError).toMatchObject({ code: 'rate_limited' }),
      )
      expect(second.getStatus().status).toBe('connecting') // waiting, not failed for good
      client.close()
      await waitFor(() => expect(second.getKeyStatus('quotes', 'b')).toBe('live'), {
        timeout: 5000,
      })
      // Retry-After is 1 s: one retry, a second after the refusal (the backoff would be 20 ms).
      expect(streamRequestTimes).toHaveLength(2)
      expect(streamRequestTimes[1]! - streamRequestTimes[0]!).toBeGreaterThanOrEqual(950)
    } finally {
      second.close()
    }
  })
})
