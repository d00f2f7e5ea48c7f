import { expect, it } from 'vitest'
import { openSseForTesting } from './test-support/sse-client.js'
import { startTestGateway } from './test-support/start-test-gateway.js'
import { forEachStore } from './test-support/stores.js'
import {
  TEST_SECRET_FOR_TESTING,
  bearerForTesting,
  signTokenForTesting,
} from './test-support/tokens.js'

forEachStore('refusing a stream for now', (store) => {
  it('answers a GET stream during shutdown in the form EventSource retries: 200, retry, an error event, end', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    await gw.running.gateway.close()
    using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/q`)
    await client.ended
    expect(client.status).toBe(200)
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(client.retry).toBeGreaterThanOrEqual(1000)
    expect(client.events).toEqual([
      {
        event: 'error',
        id: undefined,
        data: { code: 'store_unavailable', message: expect.any(String) },
      },
    ])
  })

  it('refuses a GET stream in the same retried form, as store_unavailable, whatever keeps the store away', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    await gw.store.close() // the gateway's store is gone: store_closed inside
    using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/q`)
    await client.ended
    expect(client.status).toBe(200)
    expect(client.events.map((e) => e.data)).toEqual([
      { code: 'store_unavailable', message: expect.any(String) },
    ])
  })

  it('answers a POST stream during shutdown with 503 store_unavailable and Retry-After', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    await gw.running.gateway.close()
    const res = await fetch(`${gw.url}/v1/tenants/acme/stream`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"subscriptions":[]}',
    })
    expect(res.status).toBe(503)
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1)
    expect(await res.json()).toMatchObject({ error: { code: 'store_unavailable' } })
  })

  it('refuses a stream whose admission was still running when the gateway began to shut down, instead of opening one that nothing ends', async () => {
    let admitted!: () => void
    const admission = new Promise<void>((resolve) => (admitted = resolve))
    let asked!: () => void
    const authorizing = new Promise<void>((resolve) => (asked = resolve))
    await using gw = await startTestGateway({
      store: store.kind,
      auth: { secret: TEST_SECRET_FOR_TESTING },
      // The app's own check is the await that shutdown overtakes here.
      authorize: async () => {
        asked()
        await admission
        return true
      },
    })
    const token = await signTokenForTesting({ sub: 'alice' })
    const answer = fetch(`${gw.url}/v1/tenants/acme/stream`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...bearerForTesting(token) },
      body: '{"subscriptions":[{"schema":"quotes","id":"q"}]}',
    })
    await authorizing
    await gw.running.gateway.close()
    admitted()
    const res = await answer
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: { code: 'store_unavailable' } })
  })

  it('gives each stream its own retry hint around retryMs, so browsers dropped together return spread out', async () => {
    await using gw = await startTestGateway({ store: store.kind, retryMs: 2000 })
    const hints: number[] = []
    for (let i = 0; i < 12; i++) {
      using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream`)
      await client.waitFor((e) => e.event === 'synced')
      hints.push(client.retry!)
    }
    expect(Math.min(...hints)).toBeGreaterThanOrEqual(1000)
    expect(Math.max(...hints)).toBeLessThanOrEqual(3000)
    expect(new Set(hints).size).toBeGreaterThan(6)
  })
})
