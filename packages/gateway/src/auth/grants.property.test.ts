import http from 'node:http'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineSchema } from '@fdb-live/core'
import { startTestGateway, type TestGateway } from '../test-support/start-test-gateway.js'
import { TEST_SECRET_FOR_TESTING, signTokenForTesting } from '../test-support/tokens.js'

/**
 * The authorization property, against a real gateway over real HTTP: for random grants,
 * random tokens (valid, expired, wrong key, wrong audience, tampered, none) and random
 * record reads and streams over several tenants, no record is ever delivered outside the
 * token's grants, and every refusal carries its code. The expected answer comes from a
 * model of docs/security.md written here, not from the gateway's own grant code.
 */

const CASES = Number(process.env.FDB_LIVE_PROPERTY_CASES ?? 10_000)
const BATCH = 100
const TENANTS = ['acme', 'acme-eu', 'a', 'a/b', '*']
const SCHEMAS = ['quotes', 'quotes.v2', 'notes']
const IDS = ['q1', 'q1x', 'x', 'x/y', '*', 'x*']
const AUDIENCE = 'fdb-live'

type TokenKind = 'valid' | 'expired' | 'wrongKey' | 'wrongAudience' | 'tampered' | 'none'
interface Key {
  tenant: string
  schema: string
  id: string
}
interface Case {
  grants: string[]
  token: TokenKind
  request:
    | { kind: 'record'; key: Key }
    | { kind: 'stream'; method: 'GET' | 'POST'; tenant: string; subs: Omit<Key, 'tenant'>[] }
}

/** A grant pattern: `*` or a name, percent-encoded (or, sometimes, raw: a `/` then splits it). */
const segment = (names: string[]) =>
  fc.oneof(
    fc.constant('*'),
    fc.constantFrom(...names).map(encodeURIComponent),
    fc.constantFrom(...names),
  )
const pattern = fc
  .tuple(segment(TENANTS), segment(SCHEMAS), segment(IDS))
  .map((parts) => parts.join('/'))
const key = fc.record({
  tenant: fc.constantFrom(...TENANTS),
  schema: fc.constantFrom(...SCHEMAS),
  id: fc.constantFrom(...IDS),
})
const arbitraryCase: fc.Arbitrary<Case> = fc.record({
  grants: fc.array(pattern, { maxLength: 4 }),
  token: fc.constantFrom<TokenKind>(
    'valid',
    'valid',
    'valid',
    'expired',
    'wrongKey',
    'wrongAudience',
    'tampered',
    'none',
  ),
  request: fc.oneof(
    fc.record({ kind: fc.constant('record' as const), key }),
    fc.record({
      kind: fc.constant('stream' as const),
      method: fc.constantFrom('GET' as const, 'POST' as const),
      tenant: fc.constantFrom(...TENANTS),
      subs: fc.uniqueArray(
        fc.record({ schema: fc.constantFrom(...SCHEMAS), id: fc.constantFrom(...IDS) }),
        { maxLength: 4, selector: (s) => `${s.schema}/${s.id}` },
      ),
    }),
  ),
})

/** The model: a pattern is exactly 3 segments, each `*` or a percent-decoded exact name. */
function modelAllows(grants: string[], key: Key): boolean {
  return grants.some((grant) => {
    const parts = grant.split('/')
    if (parts.length !== 3) return false
    const names = [key.tenant, key.schema, key.id]
    return parts.every((part, i) => part === '*' || decodeURIComponent(part) === names[i])
  })
}

let gw: TestGateway

beforeAll(async () => {
  gw = await startTestGateway({
    auth: { secret: TEST_SECRET_FOR_TESTING, audience: AUDIENCE },
    limits: {
      maxStreamsPerPrincipal: 1e6,
      maxSubscriptionsPerPrincipal: 1e9,
      maxConnectionsPerSecond: 1e9,
    },
  })
  for (const tenant of TENANTS)
    for (const schema of SCHEMAS)
      for (const id of IDS)
        await gw.repo
          .tenant(tenant)
          .put(defineSchema(schema), id, { at: `${tenant}|${schema}|${id}` })
})
afterAll(async () => {
  await gw.close()
})

async function tokenFor(c: Case, n: number): Promise<string | undefined> {
  const base = { grants: c.grants, sub: `user${n % 7}`, aud: AUDIENCE }
  switch (c.token) {
    case 'none':
      return undefined
    case 'valid':
      return signTokenForTesting(base)
    case 'expired':
      return signTokenForTesting({ ...base, expiresInSec: -5 })
    case 'wrongKey':
      return signTokenForTesting({ ...base, key: new TextEncoder().encode('x'.repeat(40)) })
    case 'wrongAudience':
      return signTokenForTesting({ ...base, aud: 'elsewhere' })
    case 'tampered': {
      const [h, , s] = (await signTokenForTesting({ ...base, grants: [] })).split('.')
      const payload = {
        ...base,
        exp: Math.floor(Date.now() / 1000) + 60,
        'fdb-live': { subscribe: c.grants },
      }
      return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`
    }
  }
}

interface Answer {
  status: number
  type: string
  body: string
}

/** Sends the request and reads the answer: all of it, or a stream up to `synced` (or its end). */
function send(c: Case, token: string | undefined): Promise<Answer> {
  const headers: Record<string, string> =
    token === undefined ? {} : { Authorization: `Bearer ${token}` }
  const r = c.request
  let path: string
  let method = 'GET'
  let body: string | undefined
  if (r.kind === 'record') {
    path = `/v1/tenants/${encodeURIComponent(r.key.tenant)}/records/${r.key.schema}/${encodeURIComponent(r.key.id)}`
  } else if (r.method === 'GET') {
    const subs = r.subs.map((s) => `sub=${s.schema}/${encodeURIComponent(s.id)}`).join('&')
    path = `/v1/tenants/${encodeURIComponent(r.tenant)}/stream?${subs}`
  } else {
    path = `/v1/tenants/${encodeURIComponent(r.tenant)}/stream`
    method = 'POST'
    body = JSON.stringify({ subscriptions: r.subs })
    headers['Content-Type'] = 'application/json'
  }
  return new Promise((resolve, reject) => {
    const req = http.request(`${gw.url}${path}`, {
      method,
      headers,
      agent: false,
    })
    req.once('error', reject)
    req.once('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      const done = () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          body: text,
        })
      res.on('data', (chunk: string) => {
        text += chunk
        if (text.includes('event: synced\n')) {
          res.destroy()
          done()
        }
      })
      res.once('end', done)
    })
    req.end(body)
  })
}

function events(body: string): { event: string; data: Record<string, unknown> }[] {
  return body
    .split('\n\n')
    .map((frame) => ({
      event: /^event: (.*)$/m.exec(frame)?.[1] ?? '',
      data: /^data: (.*)$/m.exec(frame)?.[1] ?? '',
    }))
    .filter((e) => e.event !== '')
    .map((e) => ({ event: e.event, data: JSON.parse(e.data) as Record<string, unknown> }))
}

function check(c: Case, answer: Answer): void {
  const context = JSON.stringify(c)
  if (c.token !== 'valid') {
    expect(answer.status, context).toBe(401)
    expect(JSON.parse(answer.body), context).toMatchObject({ error: { code: 'unauthorized' } })
    return
  }
  const r = c.request
  if (r.kind === 'record') {
    if (modelAllows(c.grants, r.key)) {
      expect(answer.status, context).toBe(200)
      const at = `${r.key.tenant}|${r.key.schema}|${r.key.id}`
      expect((JSON.parse(answer.body) as { value: unknown }).value, context).toEqual({ at })
    } else {
      expect(answer.status, context).toBe(403)
      expect(JSON.parse(answer.body), context).toMatchObject({ error: { code: 'forbidden' } })
    }
    return
  }
  expect(answer.status, context).toBe(200)
  const seen = events(answer.body)
  expect(seen.at(-1)?.event, context).toBe('synced')
  for (const sub of r.subs) {
    const allowed = modelAllows(c.grants, { tenant: r.tenant, ...sub })
    const mine = seen.filter((e) => e.data['schema'] === sub.schema && e.data['id'] === sub.id)
    const at = `${r.tenant}|${sub.schema}|${sub.id}`
    if (allowed) {
      expect(
        mine.map((e) => [e.event, e.data['value']]),
        context,
      ).toEqual([['value', { at }]])
    } else {
      expect(
        mine.map((e) => [e.event, e.data['code']]),
        context,
      ).toEqual([['error', 'forbidden']])
    }
  }
  // Nothing for records that were not asked for.
  const asked = new Set(r.subs.map((s) => `${s.schema}/${s.id}`))
  for (const e of seen.filter((e) => e.event === 'value'))
    expect(asked.has(`${String(e.data['schema'])}/${String(e.data['id'])}`), context).toBe(true)
}

describe('authorization property', () => {
  it(`delivers no record outside the token's grants, and refuses with the right code (${CASES} cases)`, async () => {
    const started = performance.now()
    let cases = 0
    const codes = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbitraryCase, { minLength: BATCH, maxLength: BATCH }),
        async (batch) => {
          const answers = await Promise.all(
            batch.map(async (c, n) => send(c, await tokenFor(c, n))),
          )
          batch.forEach((c, n) => {
            check(c, answers[n]!)
            const labels = [`${c.request.kind}:${answers[n]!.status}`]
            const r = c.request
            if (r.kind === 'stream' && c.token === 'valid') {
              for (const sub of r.subs) {
                const allowed = modelAllows(c.grants, { tenant: r.tenant, ...sub })
                labels.push(allowed ? 'subscription:value' : 'subscription:forbidden')
              }
            }
            for (const label of labels) codes.set(label, (codes.get(label) ?? 0) + 1)
          })
          cases += batch.length
        },
      ),
      { numRuns: CASES / BATCH },
    )
    expect(cases).toBe(CASES)
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    console.log(`authorization property: ${cases} cases in ${seconds} s`, Object.fromEntries(codes))
  }, 300_000)
})
