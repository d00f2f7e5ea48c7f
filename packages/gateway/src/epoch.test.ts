import { expect, it } from 'vitest'
import { defineSchema } from '@fdb-live/core'
import { openSseForTesting } from './test-support/sse-client.js'
import { startTestGateway } from './test-support/start-test-gateway.js'
import { forEachStore } from './test-support/stores.js'

const Quote = defineSchema<{ text: string }>('quotes')
const EPOCH = /^[0-9a-f]{32}$/

forEachStore('the store epoch', (store) => {
  it('opens every stream with hello carrying the store epoch, after retry and before any value', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    await gw.repo.tenant('acme').put(Quote, 'q', { text: 'x' })
    const get = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/q`)
    const post = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream`, {
      body: { subscriptions: [{ schema: 'quotes', id: 'q' }] },
    })
    for (const client of [get, post]) {
      using open = client
      await open.waitFor((e) => e.event === 'synced')
      expect(open.retry).toBeDefined()
      expect(open.events.map((e) => e.event)).toEqual(['hello', 'value', 'synced'])
      expect(open.events[0]!.data).toEqual({ epoch: await gw.repo.epoch() })
      expect(open.events[0]!.data['epoch']).toMatch(EPOCH)
    }
  })

  it('sends every current value to a client whose versions come from another store (reset: same version, new data)', async () => {
    // Two fresh embedded stores give their first commits the same versions: the one the
    // user's page holds names a value that this store never had.
    await using before = await startTestGateway({ store: store.kind })
    const old = await before.repo.tenant('acme').put(Quote, 'q', { text: 'before the reset' })
    using first = await openSseForTesting(`${before.url}/v1/tenants/acme/stream?sub=quotes/q`)
    const hello = await first.waitFor((e) => e.event === 'hello')

    await using after = await startTestGateway({ store: store.kind })
    await after.repo.tenant('acme').put(Quote, 'q', { text: 'after the reset' })
    const resume = {
      epoch: hello.data['epoch'],
      subscriptions: [{ schema: 'quotes', id: 'q', since: old.version }],
    }
    using client = await openSseForTesting(`${after.url}/v1/tenants/acme/stream`, {
      body: resume,
    })
    await client.waitFor((e) => e.event === 'synced')
    expect(client.events[0]!.data['epoch']).not.toBe(hello.data['epoch'])
    expect(client.values('quotes', 'q').map((e) => e.data['value'])).toEqual([
      { text: 'after the reset' },
    ])

    // Within one epoch, `since` still skips what the client has.
    const same = `epoch=${String(client.events[0]!.data['epoch'])}`
    const current = (await after.repo.tenant('acme').get(Quote, 'q'))!.version
    using resumed = await openSseForTesting(
      `${after.url}/v1/tenants/acme/stream?sub=quotes/q@${current}&${same}`,
    )
    await resumed.waitFor((e) => e.event === 'synced')
    expect(resumed.values('quotes', 'q')).toEqual([])
  })

  it('answers a record read with the epoch in the body and the FDB-Live-Epoch header', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    const { version } = await gw.repo.tenant('acme').put(Quote, 'q', { text: 'x' })
    const res = await fetch(`${gw.url}/v1/tenants/acme/records/quotes/q`)
    const epoch = await gw.repo.epoch()
    expect(await res.json()).toEqual({ id: 'q', version, value: { text: 'x' }, epoch })
    expect(res.headers.get('FDB-Live-Epoch')).toBe(epoch)
  })

  it('rejects a malformed epoch with 400 invalid_request', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    const res = await fetch(`${gw.url}/v1/tenants/acme/stream?sub=quotes/q&epoch=nope`)
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } })
  })
})
