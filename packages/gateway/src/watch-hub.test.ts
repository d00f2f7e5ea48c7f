import { expect, it } from 'vitest'
import { defineSchema } from '@fdb-live/core'
import { createLogger } from './logger.js'
import { createGatewayMetrics } from './metrics.js'
import { faultyStoreForTesting, type FaultyStoreForTesting } from './test-support/faulty-store.js'
import { openSseForTesting } from './test-support/sse-client.js'
import { startTestGateway } from './test-support/start-test-gateway.js'
import { forEachStore } from './test-support/stores.js'
import { spawnWriterForTesting } from './test-support/writer.js'
import type { ValueEvent } from './value-event.js'
import { WatchHub } from './watch-hub.js'

const Quote = defineSchema<{ text: string }>('quotes')

forEachStore('the watch hub', (store) => {
  it('delivers a write that lands between the initial read and the watch registration', async () => {
    let faulty!: FaultyStoreForTesting
    await using gw = await startTestGateway({
      store: store.kind,
      wrapStore: (inner) => (faulty = faultyStoreForTesting(inner)),
    })
    await using writer = await spawnWriterForTesting(gw)
    const v1 = await writer.put('acme', 'quotes', 'gap', { text: 'before' })
    let between: string | undefined
    faulty.afterNextRead(async () => {
      between = await writer.put('acme', 'quotes', 'gap', { text: 'between' })
    })
    using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/gap`)
    const event = await client.waitFor((e) => e.event === 'value' && e.data['version'] === between)
    expect(between! > v1).toBe(true)
    expect(event.data['value']).toEqual({ text: 'between' })
  })

  it('fails only the subscription that exceeds the watch budget, with an error event and a metric', async () => {
    await using gw = await startTestGateway({ store: store.kind, maxWatches: 2 })
    using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream`, {
      body: { subscriptions: ['a', 'b', 'c'].map((id) => ({ schema: 'quotes', id })) },
    })
    await client.waitFor((e) => e.event === 'synced')
    const errors = client.events.filter((e) => e.event === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.data).toEqual({
      schema: 'quotes',
      id: 'c',
      code: 'too_many_watches',
      message: expect.any(String),
    })
    expect(client.values('quotes', 'a')).toHaveLength(1)
    expect(client.values('quotes', 'b')).toHaveLength(1)
    const metrics = await gw.metrics()
    expect(metrics.get('fdb_live_gateway_watch_errors_total{code="too_many_watches"}')).toBe(1)
    expect(metrics.get('fdb_live_gateway_active_watches')).toBe(2)
    // The rest of the stream keeps working.
    await using writer = await spawnWriterForTesting(gw)
    const version = await writer.put('acme', 'quotes', 'a', { text: 'still live' })
    await client.waitFor((e) => e.data['version'] === version)
  })

  it('re-arms with backoff after a transient watch error and still delivers the change', async () => {
    let faulty!: FaultyStoreForTesting
    await using gw = await startTestGateway({
      store: store.kind,
      wrapStore: (inner) => (faulty = faultyStoreForTesting(inner)),
    })
    faulty.failWatches(1)
    using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/r`)
    await client.waitFor((e) => e.event === 'synced')
    await expect
      .poll(async () =>
        (await gw.metrics()).get('fdb_live_gateway_watch_errors_total{code="store_unavailable"}'),
      )
      .toBe(1)
    await using writer = await spawnWriterForTesting(gw)
    const version = await writer.put('acme', 'quotes', 'r', { text: 'after the error' })
    await client.waitFor((e) => e.data['version'] === version)
  })

  it('fails the subscribers with an error event when a re-arm fails for good (the user is not left on a frozen value)', async () => {
    let faulty!: FaultyStoreForTesting
    await using gw = await startTestGateway({
      store: store.kind,
      wrapStore: (inner) => (faulty = faultyStoreForTesting(inner)),
    })
    using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/r`)
    await client.waitFor((e) => e.event === 'synced')
    faulty.failWatches(100, 'too_many_watches') // the budget stays exhausted
    await using writer = await spawnWriterForTesting(gw)
    await writer.put('acme', 'quotes', 'r', { text: 'changed' })
    const error = await client.waitFor((e) => e.event === 'error')
    expect(error.data).toMatchObject({ schema: 'quotes', id: 'r', code: 'too_many_watches' })
    await expect
      .poll(async () => (await gw.metrics()).get('fdb_live_gateway_active_watches'))
      .toBe(0)
  })

  it('keeps a subscription whose re-arm meets too_many_watches for a moment (FoundationDB may report it below the budget): later changes still arrive', async () => {
    let faulty!: FaultyStoreForTesting
    await using gw = await startTestGateway({
      store: store.kind,
      wrapStore: (inner) => (faulty = faultyStoreForTesting(inner)),
    })
    using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/r`)
    await client.waitFor((e) => e.event === 'synced')
    faulty.failWatches(2, 'too_many_watches')
    await using writer = await spawnWriterForTesting(gw)
    await writer.put('acme', 'quotes', 'r', { text: 'two' })
    await expect
      .poll(async () =>
        (await gw.metrics()).get('fdb_live_gateway_watch_errors_total{code="too_many_watches"}'),
      )
      .toBe(2)
    const v3 = await writer.put('acme', 'quotes', 'r', { text: 'three' })
    await client.waitFor((e) => e.data['version'] === v3)
    expect(client.events.filter((e) => e.event === 'error')).toEqual([])
  })

  it('retries a first read + watch that fails transiently: the subscriber still gets its value', async () => {
    await using gw = await startTestGateway({
      store: store.kind,
      wrapStore: (inner) => {
        const faulty = faultyStoreForTesting(inner)
        faulty.failReads(2, 'flaky')
        return faulty
      },
    })
    const { version: v1 } = await gw.repo.tenant('acme').put(Quote, 'flaky', { text: 'one' })
    using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/flaky`)
    await client.waitFor((e) => e.event === 'synced')
    expect(client.events.filter((e) => e.event === 'error')).toEqual([])
    expect(client.values('quotes', 'flaky').map((e) => e.data['version'])).toEqual([v1])
    const metrics = await gw.metrics()
    expect(metrics.get('fdb_live_gateway_watch_errors_total{code="store_unavailable"}')).toBe(2)
    expect(metrics.get('fdb_live_gateway_active_watches')).toBe(1)

    await using writer = await spawnWriterForTesting(gw)
    const v2 = await writer.put('acme', 'quotes', 'flaky', { text: 'two' })
    const event = await client.waitFor((e) => e.data['version'] === v2)
    expect(event.data['value']).toEqual({ text: 'two' })
  })

  it('retries the read of a stream joining a watched record through a transient store error: the second user sees the value, not an error', async () => {
    let faulty!: FaultyStoreForTesting
    await using gw = await startTestGateway({
      store: store.kind,
      wrapStore: (inner) => (faulty = faultyStoreForTesting(inner)),
    })
    const { version } = await gw.repo.tenant('acme').put(Quote, 'shared', { text: 'one' })
    const url = `${gw.url}/v1/tenants/acme/stream?sub=quotes/shared`
    using first = await openSseForTesting(url)
    await first.waitFor((e) => e.event === 'synced')
    faulty.failReads(2, 'shared')
    using second = await openSseForTesting(url)
    await second.waitFor((e) => e.event === 'synced')
    expect(second.events.filter((e) => e.event === 'error')).toEqual([])
    expect(second.values('quotes', 'shared').map((e) => e.data['version'])).toEqual([version])
    const metrics = await gw.metrics()
    expect(metrics.get('fdb_live_gateway_watch_errors_total{code="store_unavailable"}')).toBe(2)
  })

  it('hands every listener of a record the same event object: serialised once per change', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    const hub = new WatchHub({
      repo: gw.repo,
      metrics: createGatewayMetrics(),
      logger: createLogger({ level: 'silent' }),
    })
    const seen: ValueEvent[][] = [[], []]
    const subs = seen.map((events) =>
      hub.subscribe(
        { tenant: 'acme', schema: 'quotes', id: 'shared' },
        { change: (e) => events.push(e), fail: () => {} },
      ),
    )
    await Promise.all(subs.map((s) => s.initial))
    expect(hub.size).toBe(1)
    const { version } = await gw.repo.tenant('acme').put(Quote, 'shared', { text: 'x' })
    await expect
      .poll(() => seen.every((events) => events.some((e) => e.version === version)))
      .toBe(true)
    expect(seen[0]![0]).toBe(seen[1]![0])
    subs.forEach((s) => s.release())
    expect(hub.size).toBe(0)
    hub.close()
  })
})
