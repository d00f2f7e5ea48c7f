import net from 'node:net'
import zlib from 'node:zlib'
import fc from 'fast-check'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { defineSchema } from '@fdb-live/core'
import { openSseForTesting } from './test-support/sse-client.js'
import { startTestGateway } from './test-support/start-test-gateway.js'
import { TEST_SECRET_FOR_TESTING, signTokenForTesting } from './test-support/tokens.js'

/**
 * 10,000 random requests over raw TCP (methods, paths, query strings, headers, cookies,
 * tokens, bodies; chunked, gzip and deflate framing) against one gateway with auth on:
 * not one 5xx, no crash, and a well-behaved client on the same gateway keeps receiving
 * its events the whole time.
 */

const REQUESTS = Number(process.env.FDB_LIVE_FUZZ_REQUESTS ?? 10_000)
const BATCH = 100
const Quote = defineSchema<{ n: number }>('quotes')

interface FuzzRequest {
  method: string
  path: string
  query: string
  headers: [string, string][]
  body: Buffer | undefined
  framing: 'length' | 'chunked' | 'none'
  encoding: 'identity' | 'gzip' | 'deflate' | 'bogus'
}

function arbitraryRequest(tokens: string[]): fc.Arbitrary<FuzzRequest> {
  const segment = fc.oneof(
    fc.constantFrom(
      'acme',
      'quotes',
      'q1',
      'live',
      '%2F',
      '%',
      '%zz',
      '..',
      '%00',
      '*',
      '%E0%A4%A',
    ),
    fc.constantFrom('%F0%9F%98%80', 'a'.repeat(300), 'x'.repeat(2000), '%C0%AF', '.', ''),
    fc.string({ maxLength: 12 }).map(encodeURIComponent),
    fc.string({ unit: 'binary', maxLength: 6 }).map((s) => s.replace(/[\s]/g, '')),
  )
  const path = fc.oneof(
    fc.constantFrom(
      '/v1/healthz',
      '/metrics',
      '/',
      '/v1',
      '/v1/tenants',
      '/V1/HEALTHZ',
      '//v1/healthz',
      '*',
    ),
    fc.tuple(segment, segment, segment).map(([t, s, i]) => `/v1/tenants/${t}/records/${s}/${i}`),
    segment.map((t) => `/v1/tenants/${t}/stream`),
    fc.tuple(segment, segment).map(([a, b]) => `/${a}/${b}`),
  )
  const subValue = fc.oneof(
    fc.tuple(segment, segment).map(([s, i]) => `${s}/${i}`),
    fc.constantFrom('quotes/live', 'quotes/q1@00000000000000000000', 'quotes/q1@zz', '/', '@'),
  )
  const param = fc.oneof(
    subValue.map((v) => `sub=${v}`),
    fc.constantFrom(
      'sub',
      'epoch=',
      'epoch=zz',
      `epoch=${'0'.repeat(32)}`,
      'access_token=x',
      '&&',
      '=',
    ),
    fc
      .tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }))
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
  )
  const query = fc.oneof(
    fc.constant(''),
    fc.array(param, { maxLength: 6 }).map((ps) => `?${ps.join('&')}`),
  )
  const token = fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 40 }))
  const header = fc.oneof(
    token.map((t): [string, string] => ['Authorization', `Bearer ${t}`]),
    fc.constantFrom<[string, string]>(
      ['Authorization', 'Basic Zm9vOmJhcg=='],
      ['Authorization', 'Bearer'],
    ),
    token.map((t): [string, string] => ['Cookie', `a=b; fdb_live_token=${t}; c`]),
    fc.constantFrom<[string, string]>(
      ['Content-Type', 'application/json'],
      ['Content-Type', 'application/json; charset=utf-16'],
      ['Content-Type', 'text/plain'],
      ['Content-Type', 'application/json; charset="latin1"'],
      ['Accept', 'text/event-stream'],
      ['Origin', 'https://evil.test'],
      ['Origin', 'http://localhost:5173'],
      ['X-Forwarded-For', '1.2.3.4, 5.6.7.8'],
      ['If-None-Match', '*'],
      ['Access-Control-Request-Method', 'POST'],
      ['Expect', '100-continue'],
      ['Range', 'bytes=0-1'],
    ),
    fc
      .tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), fc.string({ maxLength: 30 }))
      .map(([k, v]): [string, string] => [k, v.replace(/[\r\n\0]/g, '')]),
  )
  const body = fc.oneof(
    fc.constant(undefined),
    fc.constant(Buffer.from('{"subscriptions":[{"schema":"quotes","id":"live"}]}')),
    fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
    fc
      .array(
        fc.record({ schema: fc.string({ maxLength: 10 }), id: fc.string({ maxLength: 10 }) }),
        {
          maxLength: 5,
        },
      )
      .map((subs) => Buffer.from(JSON.stringify({ subscriptions: subs }))),
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    fc.constant(Buffer.alloc(1_200_000, 0x20)),
  )
  return fc.record({
    method: fc.constantFrom(
      'GET',
      'GET',
      'POST',
      'POST',
      'HEAD',
      'OPTIONS',
      'PUT',
      'DELETE',
      'PATCH',
      'TRACE',
      'FOO',
      'get',
    ),
    path,
    query,
    // Mostly with the valid token, so that most requests reach the routes behind auth.
    headers: fc
      .tuple(
        fc.option(fc.constant<[string, string]>(['Authorization', `Bearer ${tokens[0]!}`]), {
          freq: 3,
        }),
        fc.array(header, { maxLength: 5 }),
      )
      .map(([auth, rest]) => (auth === null ? rest : [auth, ...rest])),
    body,
    framing: fc.constantFrom('length', 'length', 'chunked', 'none'),
    encoding: fc.constantFrom('identity', 'identity', 'gzip', 'deflate', 'bogus'),
  })
}

function encode(request: FuzzRequest): Buffer {
  let body = request.body
  const headers = [...request.headers, ['Host', 'gateway.test'], ['Connection', 'close']]
  if (body !== undefined) {
    if (request.encoding === 'gzip') body = zlib.gzipSync(body)
    if (request.encoding === 'deflate') body = zlib.deflateSync(body)
    if (request.encoding !== 'identity') headers.push(['Content-Encoding', request.encoding])
    if (request.framing === 'length') headers.push(['Content-Length', String(body.length)])
    if (request.framing === 'chunked') {
      headers.push(['Transfer-Encoding', 'chunked'])
      const chunks: Buffer[] = []
      for (let at = 0; at < body.length; at += 97) {
        const chunk = body.subarray(at, at + 97)
        chunks.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'))
      }
      body = Buffer.concat([...chunks, Buffer.from('0\r\n\r\n')])
    }
  }
  const head =
    `${request.method} ${request.path}${request.query} HTTP/1.1\r\n` +
    headers.map(([k, v]) => `${k}: ${v}\r\n`).join('') +
    '\r\n'
  return Buffer.concat([Buffer.from(head, 'latin1'), body ?? Buffer.alloc(0)])
}

/** The status code of the answer ('none' when the connection closed without one). */
function exchange(port: number, bytes: Buffer): Promise<number | 'none' | 'timeout'> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let head = ''
    const finish = (result: number | 'none' | 'timeout') => {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => finish('timeout'), 10_000)
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1')
      // Skip an interim "100 Continue".
      const match = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n[\s\S]*?\r\n\r\n/.exec(
        head.replace(/^HTTP\/1\.1 100[^\r]*\r\n\r\n/, ''),
      )
      if (match !== null) finish(Number(match[1]))
    })
    socket.on('error', () => finish('none'))
    socket.on('close', () => finish('none'))
    socket.end(bytes)
  })
}

describe('fuzzing the gateway', () => {
  it(`answers ${REQUESTS} random requests without a 5xx or a crash, while a client keeps getting its events`, async () => {
    // Every 500 is logged at error level with its cause: this also covers the answers the
    // client could not read (the gateway refused a request before reading its body and
    // closed: the kernel then resets the connection and drops the answer in flight).
    const errors: string[] = []
    const logger = pino({ level: 'error' }, { write: (line: string) => errors.push(line) })
    await using gw = await startTestGateway({
      logger,
      auth: { secret: TEST_SECRET_FOR_TESTING },
      limits: { maxConnectionsPerSecond: 1e9, maxStreamsPerPrincipal: 1e6 },
    })
    const tenant = gw.repo.tenant('acme')
    await tenant.put(Quote, 'live', { n: 0 })
    const tokens = [
      await signTokenForTesting({ sub: 'fuzzer', grants: ['acme/*/*'] }),
      await signTokenForTesting({ sub: 'fuzzer', grants: ['*/*/*'], expiresInSec: -1 }),
      await signTokenForTesting({ sub: 'fuzzer', grants: ['acme/quotes/q1'] }),
    ]
    const good = await signTokenForTesting({ sub: 'good', grants: ['acme/quotes/live'] })
    using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/live`, {
      headers: { Authorization: `Bearer ${good}` },
    })
    await client.waitFor((e) => e.event === 'synced')

    const port = gw.running.port
    const statuses = new Map<string, number>()
    let sent = 0
    let n = 0
    const started = performance.now()
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbitraryRequest(tokens), { minLength: BATCH, maxLength: BATCH }),
        async (batch) => {
          n += 1
          const write = tenant.put(Quote, 'live', { n })
          const answers = await Promise.all(batch.map((request) => exchange(port, encode(request))))
          // The well-behaved client got this batch's change while the batch was running.
          await write
          await client.waitFor((e) => (e.data['value'] as { n?: number } | null)?.n === n, 10_000)
          for (const [i, answer] of answers.entries()) {
            statuses.set(String(answer), (statuses.get(String(answer)) ?? 0) + 1)
            if (typeof answer === 'number' && answer >= 500) {
              throw new Error(
                `${answer} for ${encode(batch[i]!).subarray(0, 300).toString('latin1')}`,
              )
            }
          }
          sent += batch.length
        },
      ),
      { numRuns: REQUESTS / BATCH },
    )
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    console.log(`fuzz: ${sent} requests in ${seconds} s`, Object.fromEntries(statuses))
    expect(sent).toBe(REQUESTS)
    expect(errors).toEqual([])
    expect(client.values('quotes', 'live').at(-1)?.data['value']).toEqual({ n })
    expect(client.events.filter((e) => e.event === 'error')).toEqual([])
    const health = await fetch(`${gw.url}/v1/healthz`)
    expect(health.status).toBe(200)
  }, 600_000)
})
