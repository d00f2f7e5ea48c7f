import { describe, expect, it } from 'vitest'
import { defineSchema } from '@fdb-live/core'
import { requestForTesting } from '../test-support/http-request.js'
import { openSseForTesting } from '../test-support/sse-client.js'
import { startTestGateway } from '../test-support/start-test-gateway.js'
import {
  TEST_SECRET_FOR_TESTING,
  bearerForTesting,
  signTokenForTesting,
} from '../test-support/tokens.js'
import { grantsAllow, parseGrant } from './grants.js'

const Quote = defineSchema<{ text: string }>('quotes')
const auth = { secret: TEST_SECRET_FOR_TESTING }
const limits = { maxConnectionsPerSecond: 10_000 }

describe('grants', () => {
  it('match exact names and * segments only: a / or * inside a name never widens a grant', () => {
    const allow = (pattern: string, tenant: string, schema: string, id: string) =>
      grantsAllow(
        [parseGrant(pattern)].filter((g) => g !== undefined),
        { tenant, schema, id },
      )
    expect(allow('acme/*/*', 'acme', 'quotes', 'q1')).toBe(true)
    expect(allow('acme/quotes/*', 'acme', 'notes', 'q1')).toBe(false)
    expect(allow('acme/quotes/q1', 'acme', 'quotes', 'q2')).toBe(false)
    // Names holding "/" or "*" are percent-encoded in a grant, and compared literally.
    expect(allow('acme/quotes/a%2Fb', 'acme', 'quotes', 'a/b')).toBe(true)
    expect(allow('acme/quotes/a', 'acme', 'quotes', 'a/b')).toBe(false)
    expect(allow('acme/quotes/a/*', 'acme', 'quotes', 'a/b')).toBe(false) // 4 segments: nothing
    expect(allow('acme/quotes/a*', 'acme', 'quotes', 'ab')).toBe(false) // no partial glob
    expect(allow('acme/quotes/%2A', 'acme', 'quotes', 'q1')).toBe(false) // a literal "*" id
    expect(allow('acme/quotes/%2A', 'acme', 'quotes', '*')).toBe(true)
    expect(allow('acme%2Fx/*/*', 'acme', 'quotes', 'q1')).toBe(false)
    expect(allow('acme%2Fx/*/*', 'acme/x', 'quotes', 'q1')).toBe(true)
    // Invalid names grant nothing rather than something unexpected.
    for (const bad of ['acme/1bad/*', 'acme//*', '/quotes/*', 'acme/quotes/%E0%A4%A', 'acme/*'])
      expect(parseGrant(bad)).toBeUndefined()
  })
})

describe('authorization', () => {
  it('answers 403 forbidden to a record read outside the grants, 200 inside', async () => {
    await using gw = await startTestGateway({ auth, limits })
    await gw.repo.tenant('acme').put(Quote, 'q1', { text: 'mine' })
    await gw.repo.tenant('globex').put(Quote, 'q1', { text: 'theirs' })
    const token = await signTokenForTesting({ sub: 'alice', grants: ['acme/quotes/*'] })
    const read = (tenant: string) =>
      requestForTesting(`${gw.url}/v1/tenants/${tenant}/records/quotes/q1`, {
        headers: bearerForTesting(token),
      })
    expect((await read('acme')).status).toBe(200)
    const other = await read('globex')
    expect(other.status).toBe(403)
    expect(other.json()).toMatchObject({ error: { code: 'forbidden' } })
    expect(other.body).not.toContain('theirs')
    // No grants claim at all: nothing.
    const bare = await signTokenForTesting({ sub: 'bob' })
    const none = await requestForTesting(`${gw.url}/v1/tenants/acme/records/quotes/q1`, {
      headers: bearerForTesting(bare),
    })
    expect(none.status).toBe(403)
  })

  it('fails a subscription outside the grants with an error event, and serves the rest of the stream', async () => {
    await using gw = await startTestGateway({ auth, limits })
    const acme = gw.repo.tenant('acme')
    await acme.put(Quote, 'public', { text: 'p' })
    await acme.put(Quote, 'secret', { text: 's' })
    const token = await signTokenForTesting({ sub: 'alice', grants: ['acme/quotes/public'] })
    using stream = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream`, {
      body: {
        subscriptions: [
          { schema: 'quotes', id: 'public' },
          { schema: 'quotes', id: 'secret' },
        ],
      },
      headers: bearerForTesting(token),
    })
    await stream.waitFor((e) => e.event === 'synced')
    expect(stream.events.find((e) => e.event === 'error')?.data).toMatchObject({
      schema: 'quotes',
      id: 'secret',
      code: 'forbidden',
    })
    await acme.put(Quote, 'secret', { text: 's2' })
    await acme.put(Quote, 'public', { text: 'p2' })
    await stream.waitFor(
      (e) =>
        e.event === 'value' &&
        e.data['value'] !== null &&
        (e.data['value'] as { text: string }).text === 'p2',
    )
    expect(stream.values('quotes', 'secret')).toEqual([])
  })

  it("calls the app's authorize once per subscription, never per event", async () => {
    const calls: string[] = []
    await using gw = await startTestGateway({
      auth,
      limits,
      authorize: async (claims, key) => {
        calls.push(`${String(claims['sub'])}:${key.tenant}/${key.schema}/${key.id}`)
        await Promise.resolve()
        return key.id !== 'no'
      },
    })
    const acme = gw.repo.tenant('acme')
    const token = await signTokenForTesting({ sub: 'alice' })
    using stream = await openSseForTesting(
      `${gw.url}/v1/tenants/acme/stream?sub=quotes/yes&sub=quotes/no`,
      { headers: bearerForTesting(token) },
    )
    await stream.waitFor((e) => e.event === 'synced')
    for (let n = 0; n < 5; n++) await acme.put(Quote, 'yes', { text: `${n}` })
    await stream.waitFor((e) => (e.data['value'] as { text?: string } | null)?.text === '4')
    expect(calls.sort()).toEqual(['alice:acme/quotes/no', 'alice:acme/quotes/yes'])
    expect(stream.events.filter((e) => e.event === 'error').map((e) => e.data['id'])).toEqual([
      'no',
    ])
  })

  it('ends a stream with token_expired when its token expires (a token living 2 s)', async () => {
    await using gw = await startTestGateway({ auth, limits })
    const acme = gw.repo.tenant('acme')
    await acme.put(Quote, 'q1', { text: 'before' })
    const token = await signTokenForTesting({ sub: 'alice', grants: ['acme/*/*'], expiresInSec: 2 })
    using stream = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/q1`, {
      headers: bearerForTesting(token),
    })
    const opened = Date.now()
    await stream.waitFor((e) => e.event === 'synced')
    await acme.put(Quote, 'q1', { text: 'during' })
    await stream.waitFor((e) => (e.data['value'] as { text?: string } | null)?.text === 'during')
    await stream.ended
    const last = stream.events.at(-1)
    expect(last?.event).toBe('error')
    expect(last?.data).toEqual({
      code: 'token_expired',
      message: 'The token expired: reconnect with a new one.',
    })
    // Within the token's 2 s (exp has second precision) plus timer slack.
    expect(Date.now() - opened).toBeLessThan(4000)
    const metrics = await gw.metrics()
    expect(metrics.get('fdb_live_gateway_open_streams')).toBe(0)
    expect(metrics.get('fdb_live_gateway_active_watches')).toBe(0)
    expect(
      metrics.get('fdb_live_gateway_refusals_total{code="token_expired",reason="expired"}'),
    ).toBe(1)
    // The same token no longer opens anything.
    const again = await requestForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/q1`, {
      headers: bearerForTesting(token),
    })
    expect(again.status).toBe(401)
  })
})
