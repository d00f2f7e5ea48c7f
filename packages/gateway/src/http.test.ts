import http from 'node:http'
import { describe, expect, it } from 'vitest'
import { defineSchema } from '@fdb-live/core'
import { requestForTesting } from './test-support/http-request.js'
import { startTestGateway, type TestGateway } from './test-support/start-test-gateway.js'
import { openSseForTesting } from './test-support/sse-client.js'
import { forEachStore } from './test-support/stores.js'

const Quote = defineSchema<{ text: string }>('quotes')

/**
 * Writes a head value that is not in the data layout (head kind 7), the way a buggy writer
 * in another language would: straight into the KV store, key packed as in
 * docs/data-layout.md (tuple strings: 0x02, UTF-8 without NUL, 0x00).
 */
async function writeCorruptHead(gw: TestGateway, tenant: string, schema: string, id: string) {
  const part = (s: string): number[] => [0x02, ...Buffer.from(s, 'utf8'), 0x00]
  const key = Uint8Array.from([gw.repo.root, tenant, schema, id].flatMap(part))
  const head = Uint8Array.from([0x01, ...new Array<number>(10).fill(0), 0x07])
  await gw.store.transact((tx) => {
    tx.set(key, head)
    return Promise.resolve()
  })
}

// Raw requests, so that tests can send what fetch refuses to (bad encodings, odd types).
const request = requestForTesting

const postJson = (url: string, body: string, headers: Record<string, string> = {}) =>
  request(url, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json', ...headers },
  })

async function expectServing(gw: TestGateway): Promise<void> {
  const health = await request(`${gw.url}/v1/healthz`)
  expect(health.status).toBe(200)
}

forEachStore('the HTTP API', (store) => {
  describe('GET /v1/healthz', () => {
    it("answers 200 with the store kind, and 503 once the store is gone, without the store's own message", async () => {
      await using gw = await startTestGateway({ store: store.kind })
      const ok = await request(`${gw.url}/v1/healthz`)
      expect(ok.status).toBe(200)
      expect(ok.json()).toEqual({ ok: true, store: store.kind })
      await gw.store.close()
      const down = await request(`${gw.url}/v1/healthz`)
      expect(down.status).toBe(503)
      expect(down.json()).toMatchObject({
        ok: false,
        store: store.kind,
        error: { code: 'store_unavailable' },
      })
      // The store's message can name paths or cluster addresses: it belongs in the log.
      expect(down.body).not.toContain('open it again')
    })
  })

  describe('GET /v1/tenants/:tenant/records/:schema/:id', () => {
    it('returns the record with its version and the epoch as ETag, and 304 for If-None-Match', async () => {
      await using gw = await startTestGateway({ store: store.kind })
      const { version } = await gw.repo.tenant('acme').put(Quote, 'a/b', { text: 'hi' })
      const url = `${gw.url}/v1/tenants/acme/records/quotes/${encodeURIComponent('a/b')}`
      const res = await request(url)
      const epoch = await gw.repo.epoch()
      expect(res.status).toBe(200)
      expect(res.headers.etag).toBe(`"${version}-${epoch}"`)
      expect(res.json()).toEqual({ id: 'a/b', version, value: { text: 'hi' }, epoch })
      const notModified = await request(url, { headers: { 'If-None-Match': res.headers.etag! } })
      expect(notModified.status).toBe(304)
      expect(notModified.body).toBe('')
      const stale = await request(url, { headers: { 'If-None-Match': '"00000000000000000001"' } })
      expect(stale.status).toBe(200)
    })

    it('answers 404 not_found for a missing or deleted record', async () => {
      await using gw = await startTestGateway({ store: store.kind })
      const tenant = gw.repo.tenant('acme')
      await tenant.put(Quote, 'gone', { text: 'x' })
      await tenant.delete(Quote, 'gone')
      for (const id of ['never', 'gone']) {
        const res = await request(`${gw.url}/v1/tenants/acme/records/quotes/${id}`)
        expect(res.status).toBe(404)
        expect(res.json()).toMatchObject({ error: { code: 'not_found' } })
      }
    })
  })

  describe('internal errors', () => {
    it('answers an internal error with the generic message only, on GET and on a stream', async () => {
      await using gw = await startTestGateway({ store: store.kind })
      await writeCorruptHead(gw, 'secret-tenant', 'quotes', 'secret-id')
      const res = await request(`${gw.url}/v1/tenants/secret-tenant/records/quotes/secret-id`)
      expect(res.status).toBe(500)
      expect(res.json()).toEqual({
        error: { code: 'internal', message: 'Internal error; see the gateway log for details.' },
      })
      expect(res.body).not.toMatch(/secret|layout|kind/)

      using client = await openSseForTesting(
        `${gw.url}/v1/tenants/secret-tenant/stream?sub=quotes/secret-id`,
      )
      const error = await client.waitFor((e) => e.event === 'error')
      expect(error.data).toEqual({
        schema: 'quotes',
        id: 'secret-id',
        code: 'internal',
        message: 'Internal error; see the gateway log for details.',
      })
    })
  })

  describe('bad requests get a 4xx JSON error and the gateway keeps serving', () => {
    const cases: {
      name: string
      send: (gw: TestGateway) => ReturnType<typeof request>
      status: number
      code: string
    }[] = [
      {
        name: 'malformed JSON',
        send: (gw) => postJson(`${gw.url}/v1/tenants/acme/stream`, '{"subscriptions": ['),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'a JSON body of the wrong shape',
        send: (gw) =>
          postJson(`${gw.url}/v1/tenants/acme/stream`, '{"subscriptions": {"schema": "quotes"}}'),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'a JSON scalar',
        send: (gw) => postJson(`${gw.url}/v1/tenants/acme/stream`, '"quotes"'),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'a body over the limit',
        send: (gw) =>
          postJson(
            `${gw.url}/v1/tenants/acme/stream`,
            JSON.stringify({
              subscriptions: [{ schema: 'quotes', id: 'x'.repeat(2 * 1024 * 1024) }],
            }),
          ),
        status: 413,
        code: 'payload_too_large',
      },
      {
        name: 'a wrong content type',
        send: (gw) =>
          request(`${gw.url}/v1/tenants/acme/stream`, {
            method: 'POST',
            body: 'subscriptions=quotes',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          }),
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        // body-parser would decode it and answer 400 with the garbled body quoted.
        name: 'a body declared in another charset than UTF-8',
        send: (gw) =>
          request(`${gw.url}/v1/tenants/acme/stream`, {
            method: 'POST',
            body: Buffer.from('{"subscriptions":[]}', 'utf16le'),
            headers: { 'Content-Type': 'application/json; charset=utf-16' },
          }),
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        // Node's own answer is a bare 431 status line without a body.
        name: 'a request line over the header limit',
        send: (gw) => request(`${gw.url}/v1/tenants/acme/stream?${'sub=quotes/a&'.repeat(2000)}`),
        status: 431,
        code: 'headers_too_large',
      },
      {
        name: 'more subscriptions than the limit',
        send: (gw) =>
          postJson(
            `${gw.url}/v1/tenants/acme/stream`,
            JSON.stringify({
              subscriptions: Array.from({ length: 1001 }, (_, i) => ({
                schema: 'quotes',
                id: `q${i}`,
              })),
            }),
          ),
        status: 400,
        code: 'too_many_subscriptions',
      },
      {
        name: 'an invalid tenant',
        send: (gw) =>
          postJson(`${gw.url}/v1/tenants/${'t'.repeat(300)}/stream`, '{"subscriptions":[]}'),
        status: 400,
        code: 'invalid_tenant',
      },
      {
        name: 'an invalid schema',
        send: (gw) =>
          postJson(
            `${gw.url}/v1/tenants/acme/stream`,
            '{"subscriptions":[{"schema":"9x","id":"a"}]}',
          ),
        status: 400,
        code: 'invalid_schema',
      },
      {
        name: 'an invalid id',
        send: (gw) =>
          postJson(
            `${gw.url}/v1/tenants/acme/stream`,
            '{"subscriptions":[{"schema":"quotes","id":""}]}',
          ),
        status: 400,
        code: 'invalid_id',
      },
      {
        // It would be stored as U+FFFD, sharing a key with every other lone surrogate.
        name: 'an id with a lone surrogate',
        send: (gw) =>
          postJson(
            `${gw.url}/v1/tenants/acme/stream`,
            '{"subscriptions":[{"schema":"quotes","id":"a\\ud800"}]}',
          ),
        status: 400,
        code: 'invalid_id',
      },
      {
        name: 'an id with a control character in the record path',
        send: (gw) => request(`${gw.url}/v1/tenants/acme/records/quotes/a%00b`),
        status: 400,
        code: 'invalid_id',
      },
      {
        name: 'an invalid since',
        send: (gw) => request(`${gw.url}/v1/tenants/acme/stream?sub=quotes/a@yesterday`),
        status: 400,
        code: 'invalid_version',
      },
      {
        name: 'a sub without an id',
        send: (gw) => request(`${gw.url}/v1/tenants/acme/stream?sub=quotes`),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'broken percent-encoding',
        send: (gw) => request(`${gw.url}/v1/tenants/acme/records/quotes/%E0%A4%A`),
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'an unknown route',
        send: (gw) => request(`${gw.url}/v2/nothing`),
        status: 404,
        code: 'route_not_found',
      },
      {
        name: 'a wrong method',
        send: (gw) => request(`${gw.url}/v1/tenants/acme/records/quotes/a`, { method: 'DELETE' }),
        status: 405,
        code: 'method_not_allowed',
      },
    ]

    for (const { name, send, status, code } of cases) {
      it(name, async () => {
        await using gw = await startTestGateway({ store: store.kind })
        const res = await send(gw)
        expect(res.status).toBe(status)
        expect(res.headers['content-type']).toMatch(/^application\/json/)
        expect(res.json()).toEqual({ error: { code, message: expect.any(String) } })
        await expectServing(gw)
      })
    }

    it('quotes only a short prefix of the input in an error: a 900 KB bad id gets a short answer', async () => {
      await using gw = await startTestGateway({ store: store.kind })
      const id = `\u0001${'x'.repeat(900_000)}`
      const res = await postJson(
        `${gw.url}/v1/tenants/acme/stream`,
        JSON.stringify({ subscriptions: [{ schema: 'quotes', id }] }),
      )
      expect(res.status).toBe(400)
      expect(res.json()).toMatchObject({ error: { code: 'invalid_id' } })
      expect(res.body.length).toBeLessThan(1000)
    })

    it('lists the allowed methods on 405', async () => {
      await using gw = await startTestGateway({ store: store.kind })
      const res = await request(`${gw.url}/v1/tenants/acme/stream`, { method: 'PUT' })
      expect(res.status).toBe(405)
      expect(res.headers.allow).toBe('GET, HEAD, POST')
    })

    it('is not disturbed by clients that vanish mid-stream or mid-body', async () => {
      await using gw = await startTestGateway({ store: store.kind })
      for (let i = 0; i < 20; i++) {
        const client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/a`)
        client.close()
      }
      await new Promise<void>((resolve) => {
        const req = http.request(`${gw.url}/v1/tenants/acme/stream`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': '1000' },
        })
        req.on('error', () => resolve())
        req.write('{"subscriptions":[', () => {
          req.destroy()
          resolve()
        })
      })
      await expectServing(gw)
      await expect
        .poll(async () => (await gw.metrics()).get('fdb_live_gateway_open_streams'))
        .toBe(0)
      await expect
        .poll(async () => (await gw.metrics()).get('fdb_live_gateway_active_watches'))
        .toBe(0)
    })
  })

  describe('CORS', () => {
    it("allows the demo's Vite origin by default and not others", async () => {
      await using gw = await startTestGateway({ store: store.kind })
      for (const origin of ['http://localhost:5173', 'http://127.0.0.1:5173']) {
        const preflight = await request(`${gw.url}/v1/tenants/acme/stream`, {
          method: 'OPTIONS',
          headers: {
            Origin: origin,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'content-type',
          },
        })
        expect(preflight.status).toBe(204)
        expect(preflight.headers['access-control-allow-origin']).toBe(origin)
        using stream = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream`, {
          headers: { Origin: origin },
        })
        expect(stream.headers['access-control-allow-origin']).toBe(origin)
      }
      const other = await request(`${gw.url}/v1/healthz`, {
        headers: { Origin: 'http://evil.example' },
      })
      expect(other.headers['access-control-allow-origin']).toBeUndefined()
    })

    it('uses the configured origins and exposes ETag and the epoch header', async () => {
      await using gw = await startTestGateway({
        store: store.kind,
        corsOrigins: ['https://app.example'],
      })
      await gw.repo.tenant('acme').put(Quote, 'a', { text: 'x' })
      const res = await request(`${gw.url}/v1/tenants/acme/records/quotes/a`, {
        headers: { Origin: 'https://app.example' },
      })
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example')
      expect(res.headers['access-control-expose-headers']).toBe('ETag,FDB-Live-Epoch,Retry-After')
    })
  })

  describe('GET /metrics', () => {
    it('serves Prometheus text', async () => {
      await using gw = await startTestGateway({ store: store.kind })
      const res = await request(`${gw.url}/metrics`)
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/plain/)
      for (const name of [
        'open_streams',
        'subscriptions',
        'active_watches',
        'watch_fires_total',
        'events_sent_total',
        'events_conflated_total',
        'fire_to_write_seconds',
      ]) {
        expect(res.body).toContain(`# TYPE fdb_live_gateway_${name} `)
      }
    })
  })
})
