import http from 'node:http'
import { describe, expect, it } from 'vitest'
import { defineSchema } from '@fdb-live/core'
import { requestForTesting } from '../test-support/http-request.js'
import { openSseForTesting, type SseClientForTesting } from '../test-support/sse-client.js'
import { startTestGateway, type TestGateway } from '../test-support/start-test-gateway.js'
import {
  TEST_SECRET_FOR_TESTING,
  bearerForTesting,
  signTokenForTesting,
} from '../test-support/tokens.js'

const Quote = defineSchema<{ text: string }>('quotes')
const auth = { secret: TEST_SECRET_FOR_TESTING }

const streamUrl = (gw: TestGateway) => `${gw.url}/v1/tenants/acme/stream`
const body = (ids: string[]) =>
  JSON.stringify({ subscriptions: ids.map((id) => ({ schema: 'quotes', id })) })
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

/** A stream's status and its first bytes: up to `synced`, or all of a refusal. */
function streamStart(
  url: string,
  headers: Record<string, string>,
  localAddress: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, localAddress, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      const done = () => resolve({ status: res.statusCode ?? 0, body })
      res.on('data', (chunk: string) => {
        body += chunk
        if (body.includes('event: synced')) {
          res.destroy()
          done()
        }
      })
      res.once('end', done)
    })
    req.once('error', reject)
  })
}

async function synced(stream: SseClientForTesting): Promise<void> {
  await stream.waitFor((e) => e.event === 'synced')
}

describe('per-principal limits', () => {
  it("refuses a principal's streams and subscriptions over its share with rate_limited, and never another principal's", async () => {
    await using gw = await startTestGateway({
      auth,
      limits: {
        maxStreamsPerPrincipal: 3,
        maxSubscriptionsPerPrincipal: 10,
        maxConnectionsPerSecond: 10_000,
      },
    })
    const acme = gw.repo.tenant('acme')
    const alice = bearerForTesting(
      await signTokenForTesting({ sub: 'alice', grants: ['acme/*/*'] }),
    )
    const bob = bearerForTesting(await signTokenForTesting({ sub: 'bob', grants: ['acme/*/*'] }))
    const open = (headers: Record<string, string>, list: string[]) =>
      openSseForTesting(streamUrl(gw), { body: JSON.parse(body(list)) as unknown, headers })

    // Alice takes her whole share: 3 streams, 10 subscriptions.
    const held = [
      await open(alice, ids('a', 4)),
      await open(alice, ids('b', 4)),
      await open(alice, ids('c', 2)),
    ]
    for (const stream of held) await synced(stream)
    const post = (headers: Record<string, string>, list: string[]) =>
      requestForTesting(streamUrl(gw), {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: body(list),
      })
    held[2]!.close()
    await expect.poll(async () => (await gw.metrics()).get('fdb_live_gateway_open_streams')).toBe(2)
    // Over the subscription share (8 held + 3 > 10): 429 with Retry-After.
    const tooMany = await post(alice, ids('d', 3))
    expect(tooMany.status).toBe(429)
    expect(Number(tooMany.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(tooMany.json()).toMatchObject({ error: { code: 'rate_limited' } })
    held[2] = await open(alice, ids('c', 2))
    await synced(held[2])
    // Over the stream share: 429 for a POST, the transient refusal for a GET (EventSource).
    expect((await post(alice, [])).status).toBe(429)
    const get = await requestForTesting(`${streamUrl(gw)}?sub=quotes/x`, { headers: alice })
    expect(get.status).toBe(200)
    expect(get.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(get.body).toMatch(/^retry: \d+\n\nevent: error\ndata: \{"code":"rate_limited"/)
    // Bob is not affected, and Alice's own streams keep working.
    using bobStream = await open(bob, ids('a', 4))
    await synced(bobStream)
    await acme.put(Quote, 'a0', { text: 'news' })
    for (const stream of [bobStream, held[0]!]) {
      await stream.waitFor((e) => (e.data['value'] as { text?: string } | null)?.text === 'news')
    }
    const metrics = await gw.metrics()
    expect(
      metrics.get('fdb_live_gateway_refusals_total{code="rate_limited",reason="streams"}'),
    ).toBe(2)
    expect(
      metrics.get('fdb_live_gateway_refusals_total{code="rate_limited",reason="subscriptions"}'),
    ).toBe(1)
    expect(metrics.get('fdb_live_gateway_limit{limit="streams_per_principal"}')).toBe(3)
    expect(metrics.get('fdb_live_gateway_principals')).toBe(2)
    for (const stream of held) stream.close()
  })

  it('counts by client address without auth, when limits are given', async () => {
    await using gw = await startTestGateway({ limits: { maxStreamsPerPrincipal: 1 } })
    using first = await openSseForTesting(`${streamUrl(gw)}?sub=quotes/q`)
    await synced(first)
    const sameAddress = await requestForTesting(streamUrl(gw), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: body(['q']),
    })
    expect(sameAddress.status).toBe(429)
    const otherAddress = await streamStart(`${streamUrl(gw)}?sub=quotes/q`, {}, '127.0.0.2')
    expect(otherAddress.body).toContain('event: synced')
  })
})

describe('client addresses behind a proxy', () => {
  it('takes the address from X-Forwarded-For only with trustProxy', async () => {
    const limits = { maxStreamsPerPrincipal: 1 }
    const open = (gw: TestGateway, forwardedFor: string) =>
      openSseForTesting(`${streamUrl(gw)}?sub=quotes/q`, {
        headers: { 'X-Forwarded-For': forwardedFor },
      })
    await using trusting = await startTestGateway({ limits, trustProxy: 'loopback' })
    using a = await open(trusting, '203.0.113.1')
    await synced(a)
    // Another client behind the same proxy has its own share; the same one does not.
    using b = await open(trusting, '203.0.113.2')
    await synced(b)
    using again = await open(trusting, '203.0.113.1')
    await again.waitFor((e) => e.event === 'error' && e.data['code'] === 'rate_limited')
    // Without trustProxy the header is the client's word: everyone is the proxy's address.
    await using direct = await startTestGateway({ limits })
    using first = await open(direct, '203.0.113.1')
    await synced(first)
    using spoofed = await open(direct, '203.0.113.2')
    await spoofed.waitFor((e) => e.event === 'error' && e.data['code'] === 'rate_limited')
  })
})

describe('new connections per address', () => {
  it('answers 429 (or the transient refusal for a GET stream) past the rate, and only to that address', async () => {
    await using gw = await startTestGateway({ auth, limits: { maxConnectionsPerSecond: 5 } })
    const token = bearerForTesting(
      await signTokenForTesting({ sub: 'alice', grants: ['acme/*/*'] }),
    )
    const flood = await Promise.all(
      Array.from({ length: 40 }, () =>
        requestForTesting(`${gw.url}/v1/tenants/acme/records/quotes/q`, {
          headers: token,
          localAddress: '127.0.0.2',
        }),
      ),
    )
    const limited = flood.filter((res) => res.status === 429)
    expect(limited.length).toBeGreaterThanOrEqual(40 - 10) // the flood may straddle two seconds
    expect(limited[0]!.headers['retry-after']).toBe('1')
    expect(limited[0]!.json()).toMatchObject({ error: { code: 'rate_limited' } })
    expect(flood.filter((res) => res.status === 404).length).toBeLessThanOrEqual(10)
    // A GET stream is what EventSource opens: it gets the refusal it retries, not a 429.
    let refusal = ''
    for (let attempt = 0; attempt < 20 && refusal === ''; attempt++) {
      const get = await streamStart(`${streamUrl(gw)}?sub=quotes/q`, token, '127.0.0.2')
      expect(get.status).toBe(200)
      if (get.body.includes('rate_limited')) refusal = get.body
    }
    expect(refusal).toMatch(/^retry: \d+\n\nevent: error\ndata: \{"code":"rate_limited"/)
    // Another address is not affected.
    using other = await openSseForTesting(`${streamUrl(gw)}?sub=quotes/q`, { headers: token })
    await synced(other)
  })
})
