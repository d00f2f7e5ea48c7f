import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { defineSchema } from '@fdb-live/core'
import { exportJWK } from 'jose'
import { createGateway } from '../create-gateway.js'
import { requestForTesting } from '../test-support/http-request.js'
import { openSseForTesting } from '../test-support/sse-client.js'
import { startTestGateway, type TestGateway } from '../test-support/start-test-gateway.js'
import {
  TEST_SECRET_FOR_TESTING,
  bearerForTesting,
  keyPairForTesting,
  signTokenForTesting,
} from '../test-support/tokens.js'

const Quote = defineSchema<{ text: string }>('quotes')
const ALL = ['acme/*/*']
const auth = {
  secret: TEST_SECRET_FOR_TESTING,
  issuer: 'https://issuer.test',
  audience: 'fdb-live',
}
const good = { iss: auth.issuer, aud: auth.audience, grants: ALL, sub: 'alice' }

/** The same signature over a payload that grants more: what a client might try. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
  claims['fdb-live'] = { subscribe: ['*/*/*'] }
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
}

async function seeded(gw: TestGateway): Promise<void> {
  await gw.repo.tenant('acme').put(Quote, 'q1', { text: 'hello' })
}

const recordUrl = (gw: TestGateway) => `${gw.url}/v1/tenants/acme/records/quotes/q1`
const streamUrl = (gw: TestGateway) => `${gw.url}/v1/tenants/acme/stream`

describe('authentication', () => {
  it('answers 401 unauthorized, before any stream header, to every kind of bad token', async () => {
    // One new connection per request: more than the default 20 a second from one address.
    await using gw = await startTestGateway({ auth, limits: { maxConnectionsPerSecond: 10_000 } })
    await seeded(gw)
    const bad: Record<string, string | undefined> = {
      none: undefined,
      garbage: 'not.a.jwt',
      expired: await signTokenForTesting({ ...good, expiresInSec: -10 }),
      notYetValid: await signTokenForTesting({ ...good, notBeforeSec: 600 }),
      wrongIssuer: await signTokenForTesting({ ...good, iss: 'https://evil.test' }),
      wrongAudience: await signTokenForTesting({ ...good, aud: 'other' }),
      wrongKey: await signTokenForTesting({
        ...good,
        key: new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'),
      }),
      tampered: tamper(await signTokenForTesting({ ...good, grants: ['other/*/*'] })),
      algNone: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
        JSON.stringify({ sub: 'x', 'fdb-live': { subscribe: ALL } }),
      ).toString('base64url')}.`,
    }
    for (const [name, token] of Object.entries(bad)) {
      const headers = token === undefined ? {} : bearerForTesting(token)
      for (const [method, url, body] of [
        ['GET', recordUrl(gw), undefined],
        ['GET', `${streamUrl(gw)}?sub=quotes/q1`, undefined],
        ['POST', streamUrl(gw), '{"subscriptions":[{"schema":"quotes","id":"q1"}]}'],
      ] as const) {
        const res = await requestForTesting(url, {
          method,
          headers: { ...headers, 'Content-Type': 'application/json' },
          ...(body === undefined ? {} : { body }),
        })
        expect({ name, method, url, status: res.status }).toEqual({
          name,
          method,
          url,
          status: 401,
        })
        expect(res.headers['content-type']).toMatch(/^application\/json/)
        expect(res.json()).toMatchObject({ error: { code: 'unauthorized' } })
        expect(res.body).not.toContain('hello')
      }
    }
    // Health stays open (load balancers), unknown /v1 routes reveal nothing without a token.
    expect((await requestForTesting(`${gw.url}/v1/healthz`)).status).toBe(200)
    expect((await requestForTesting(`${gw.url}/v1/nothing`)).status).toBe(401)
  })

  it('accepts a valid token from the Authorization header or the fdb_live_token cookie, never from the URL', async () => {
    await using gw = await startTestGateway({ auth })
    await seeded(gw)
    const token = await signTokenForTesting(good)
    const byHeader = await requestForTesting(recordUrl(gw), { headers: bearerForTesting(token) })
    expect(byHeader.status).toBe(200)
    expect(byHeader.json()).toMatchObject({ value: { text: 'hello' } })
    expect(byHeader.headers['x-content-type-options']).toBe('nosniff')
    using stream = await openSseForTesting(`${streamUrl(gw)}?sub=quotes/q1`, {
      headers: { Cookie: `theme=dark; fdb_live_token=${token}` },
    })
    expect(stream.status).toBe(200)
    await stream.waitFor((e) => e.event === 'synced')
    expect(stream.values('quotes', 'q1')[0]?.data['value']).toEqual({ text: 'hello' })
    const inUrl = await requestForTesting(`${recordUrl(gw)}?access_token=${token}&token=${token}`)
    expect(inUrl.status).toBe(401)
  })

  it('verifies RS256 and ES256 tokens with a PEM public key', async () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      const pair = await keyPairForTesting(alg)
      await using gw = await startTestGateway({ auth: { publicKey: pair.publicPem } })
      await seeded(gw)
      const token = await signTokenForTesting({ grants: ALL, alg, key: pair.privateKey })
      const ok = await requestForTesting(recordUrl(gw), { headers: bearerForTesting(token) })
      expect({ alg, status: ok.status }).toEqual({ alg, status: 200 })
      // The same key's bytes as an HS256 secret (algorithm confusion) must not pass.
      const confused = await signTokenForTesting({
        grants: ALL,
        key: new TextEncoder().encode(pair.publicPem),
      })
      const refused = await requestForTesting(recordUrl(gw), {
        headers: bearerForTesting(confused),
      })
      expect({ alg, status: refused.status }).toEqual({ alg, status: 401 })
    }
  })

  it('verifies tokens with keys from a JWKS URL, and picks up a rotated key', async () => {
    const first = await keyPairForTesting('ES256')
    const second = await keyPairForTesting('ES256')
    const keys = [{ ...(await exportJWK(first.publicKey)), kid: 'k1', alg: 'ES256' }]
    let fetches = 0
    const jwksServer = http.createServer((_req, res) => {
      fetches += 1
      res.setHeader('Content-Type', 'application/json')
      res.end(JSON.stringify({ keys }))
    })
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = jwksServer.address() as AddressInfo
      await using gw = await startTestGateway({
        auth: { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, jwksCooldownMs: 200 },
      })
      await seeded(gw)
      const sign = (key: typeof first, kid: string) =>
        signTokenForTesting({ grants: ALL, alg: 'ES256', key: key.privateKey, kid })
      const one = await sign(first, 'k1')
      for (let i = 0; i < 3; i++) {
        const res = await requestForTesting(recordUrl(gw), { headers: bearerForTesting(one) })
        expect(res.status).toBe(200)
      }
      expect(fetches).toBe(1) // cached
      const two = await sign(second, 'k2')
      expect(
        (await requestForTesting(recordUrl(gw), { headers: bearerForTesting(two) })).status,
      ).toBe(401)
      // The issuer rotates: k2 is published, and the gateway refetches for the unknown kid.
      keys.push({ ...(await exportJWK(second.publicKey)), kid: 'k2', alg: 'ES256' })
      await expect
        .poll(
          async () =>
            (await requestForTesting(recordUrl(gw), { headers: bearerForTesting(two) })).status,
          { timeout: 10_000, interval: 250 },
        )
        .toBe(200)
    } finally {
      jwksServer.close()
    }
  })

  it('asks clients to retry (not to give up) while the JWKS cannot be fetched', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise((resolve) => closed.close(resolve))
    await using gw = await startTestGateway({
      auth: { jwksUrl: `http://127.0.0.1:${port}/jwks.json` },
    })
    const pair = await keyPairForTesting('ES256')
    const token = await signTokenForTesting({ grants: ALL, alg: 'ES256', key: pair.privateKey })
    const post = await requestForTesting(streamUrl(gw), {
      method: 'POST',
      headers: { ...bearerForTesting(token), 'Content-Type': 'application/json' },
      body: '{"subscriptions":[]}',
    })
    expect(post.status).toBe(503)
    expect(Number(post.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(post.json()).toMatchObject({ error: { code: 'store_unavailable' } })
    const get = await requestForTesting(`${streamUrl(gw)}?sub=quotes/q1`, {
      headers: bearerForTesting(token),
    })
    expect(get.status).toBe(200)
    expect(get.body).toMatch(/^retry: \d+\n\nevent: error\ndata: \{"code":"store_unavailable"/)
  })

  it('puts /metrics behind its own token when one is configured', async () => {
    await using gw = await startTestGateway({ metricsToken: 'scrape-me' })
    expect((await requestForTesting(`${gw.url}/metrics`)).status).toBe(401)
    const wrong = await requestForTesting(`${gw.url}/metrics`, { headers: bearerForTesting('no') })
    expect(wrong.json()).toMatchObject({ error: { code: 'unauthorized' } })
    const ok = await requestForTesting(`${gw.url}/metrics`, {
      headers: bearerForTesting('scrape-me'),
    })
    expect(ok.status).toBe(200)
    expect(ok.body).toContain(
      'fdb_live_gateway_refusals_total{code="unauthorized",reason="metrics_token"} 2',
    )
  })

  it('allows credentials (the token cookie) only to allow-listed origins, never with *', async () => {
    await using gw = await startTestGateway({ auth, corsOrigins: ['https://app.test'] })
    const preflight = await requestForTesting(streamUrl(gw), {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.test', 'Access-Control-Request-Method': 'POST' },
    })
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.test')
    expect(preflight.headers['access-control-allow-credentials']).toBe('true')
    const stranger = await requestForTesting(`${gw.url}/v1/healthz`, {
      headers: { Origin: 'https://evil.test' },
    })
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined()
    await using open = await startTestGateway({ corsOrigins: '*' })
    const any = await requestForTesting(`${open.url}/v1/healthz`, {
      headers: { Origin: 'https://evil.test' },
    })
    expect(any.headers['access-control-allow-origin']).toBe('*')
    expect(any.headers['access-control-allow-credentials']).toBeUndefined()
  })

  it('refuses bad auth configuration at start', async () => {
    await using gw = await startTestGateway()
    const bad = [
      { auth: { secret: 'short' } },
      { auth: { publicKey: 'not a key' } },
      { authorize: () => true },
    ]
    for (const options of bad) {
      expect(() => createGateway({ store: gw.store, ...options })).toThrow(
        expect.objectContaining({ code: 'invalid_config' }),
      )
    }
  })
})
