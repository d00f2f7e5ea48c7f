import { describe, expect, it } from 'vitest'
import { defineSchema, ZERO_VERSION } from '@fdb-live/core'
import { openSseForTesting, type SseClientForTesting } from './test-support/sse-client.js'
import { startTestGateway } from './test-support/start-test-gateway.js'
import { spawnWriterForTesting } from './test-support/writer.js'

const Quote = defineSchema<{ text: string }>('quotes')
const streamUrl = (base: string, tenant = 'acme'): string => `${base}/v1/tenants/${tenant}/stream`
const synced = (client: SseClientForTesting): Promise<unknown> =>
  client.waitFor((e) => e.event === 'synced')
const stalledCount = (metrics: Map<string, number>): number =>
  [...metrics]
    .filter(([name]) => name.startsWith('fdb_live_gateway_streams_stalled_total'))
    .reduce((sum, [, n]) => sum + n, 0)

describe('streams', () => {
  it('sends the initial state, synced, then changes written by another process', async () => {
    await using gw = await startTestGateway()
    const { version: v1 } = await gw.repo.tenant('acme').put(Quote, 'q1', { text: 'one' })
    using client = await openSseForTesting(streamUrl(gw.url), {
      body: {
        subscriptions: [
          { schema: 'quotes', id: 'q1' },
          { schema: 'quotes', id: 'missing' },
        ],
      },
    })
    expect(client.status).toBe(200)
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(client.headers['cache-control']).toBe('no-cache')
    expect(client.headers['x-accel-buffering']).toBe('no')
    await synced(client)
    expect(client.retry).toBeGreaterThanOrEqual(1000)
    expect(client.retry).toBeLessThanOrEqual(3000)
    expect(client.values('quotes', 'q1').map((e) => e.data)).toEqual([
      { schema: 'quotes', id: 'q1', version: v1, value: { text: 'one' } },
    ])
    expect(client.values('quotes', 'missing').map((e) => e.data)).toEqual([
      { schema: 'quotes', id: 'missing', version: ZERO_VERSION, value: null },
    ])
    expect(client.values('quotes', 'q1')[0]!.id).toBe(`quotes/q1@${v1}`)

    await using writer = await spawnWriterForTesting(gw.dataDir)
    const v2 = await writer.put('acme', 'quotes', 'q1', { text: 'two' })
    const event = await client.waitFor((e) => e.event === 'value' && e.data['version'] === v2)
    expect(event.data).toEqual({ schema: 'quotes', id: 'q1', version: v2, value: { text: 'two' } })
  })

  it('delivers a delete as value: null with a newer version', async () => {
    await using gw = await startTestGateway()
    const { version: v1 } = await gw.repo.tenant('acme').put(Quote, 'q1', { text: 'one' })
    using client = await openSseForTesting(streamUrl(gw.url), {
      body: { subscriptions: [{ schema: 'quotes', id: 'q1' }] },
    })
    await synced(client)
    await using writer = await spawnWriterForTesting(gw.dataDir)
    const deleted = await writer.delete('acme', 'quotes', 'q1')
    expect(deleted).not.toBeNull()
    const event = await client.waitFor((e) => e.event === 'value' && e.data['value'] === null)
    expect(event.data['version']).toBe(deleted)
    expect(deleted! > v1).toBe(true)
  })

  it('serves the GET form with percent-encoded parts for EventSource and curl', async () => {
    await using gw = await startTestGateway()
    const tenant = gw.repo.tenant('acme corp')
    const { version } = await tenant.put(Quote, 'a/b@c', { text: 'slashes' })
    const sub = `quotes/${encodeURIComponent('a/b@c')}`
    using client = await openSseForTesting(
      `${streamUrl(gw.url, encodeURIComponent('acme corp'))}?sub=${sub}`,
    )
    await synced(client)
    expect(client.values('quotes', 'a/b@c').map((e) => e.data['version'])).toEqual([version])
  })

  it('resumes with since: only the records that changed are sent', async () => {
    await using gw = await startTestGateway()
    const tenant = gw.repo.tenant('acme')
    const { version: a1 } = await tenant.put(Quote, 'a', { text: 'a1' })
    const { version: b1 } = await tenant.put(Quote, 'b', { text: 'b1' })
    const { version: c1 } = await tenant.put(Quote, 'c', { text: 'c1' })
    // While "disconnected": b changes, c is deleted, a stays.
    await using writer = await spawnWriterForTesting(gw.dataDir)
    const b2 = await writer.put('acme', 'quotes', 'b', { text: 'b2' })
    const c2 = await writer.delete('acme', 'quotes', 'c')
    using client = await openSseForTesting(
      `${streamUrl(gw.url)}?sub=quotes/a@${a1}&sub=quotes/b@${b1}&sub=quotes/c@${c1}`,
    )
    await synced(client)
    const values = client.events
      .filter((e) => e.event === 'value')
      .map((e) => [e.data['id'], e.data['version']])
    expect(values.sort()).toEqual([
      ['b', b2],
      ['c', c2],
    ])
  })

  it('holds one store watch for two streams on one record, and releases it when both leave', async () => {
    await using gw = await startTestGateway()
    await gw.repo.tenant('acme').put(Quote, 'q1', { text: 'one' })
    const body = { subscriptions: [{ schema: 'quotes', id: 'q1' }] }
    const first = await openSseForTesting(streamUrl(gw.url), { body })
    const second = await openSseForTesting(streamUrl(gw.url), { body })
    await Promise.all([synced(first), synced(second)])
    let metrics = await gw.metrics()
    expect(metrics.get('fdb_live_gateway_active_watches')).toBe(1)
    expect(metrics.get('fdb_live_gateway_open_streams')).toBe(2)
    expect(metrics.get('fdb_live_gateway_subscriptions')).toBe(2)

    await using writer = await spawnWriterForTesting(gw.dataDir)
    const v2 = await writer.put('acme', 'quotes', 'q1', { text: 'two' })
    await Promise.all([first, second].map((c) => c.waitFor((e) => e.data['version'] === v2)))

    first.close()
    second.close()
    await expect
      .poll(async () => (await gw.metrics()).get('fdb_live_gateway_active_watches'))
      .toBe(0)
    metrics = await gw.metrics()
    expect(metrics.get('fdb_live_gateway_open_streams')).toBe(0)
    expect(metrics.get('fdb_live_gateway_subscriptions')).toBe(0)
  })

  it('ends a slow reader on the final version with a queue bounded by its subscriptions', async () => {
    await using gw = await startTestGateway()
    await using writer = await spawnWriterForTesting(gw.dataDir)
    using client = await openSseForTesting(streamUrl(gw.url), {
      body: { subscriptions: [{ schema: 'quotes', id: 'hot' }] },
    })
    await synced(client)
    client.pause()
    // 1,000 commits of ~16 KB: far more than the socket buffers hold, so the gateway must
    // either queue (unbounded) or conflate.
    const versions = await writer.putMany('acme', 'quotes', 'hot', 1000, 16 * 1024)
    const last = versions.at(-1)!
    // The gateway has seen the last commit once its watch fired for it.
    await expect
      .poll(async () => (await gw.metrics()).get('fdb_live_gateway_events_conflated_total'), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0)
    client.resume()
    await client.waitFor((e) => e.data['version'] === last)

    const seen = client.values('quotes', 'hot').map((e) => e.data['version'] as string)
    expect(seen.at(-1)).toBe(last)
    expect(seen.length).toBeLessThan(1001)
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true)
    const metrics = await gw.metrics()
    // One record subscribed: at most its value plus the retry/hello/synced/heartbeat frames.
    expect(metrics.get('fdb_live_gateway_stream_pending_events_peak')).toBeLessThanOrEqual(4)
  })

  it('ends a stream whose client stopped reading and releases its store watch', async () => {
    await using gw = await startTestGateway({ stalledStreamTimeoutMs: 200 })
    const tenant = gw.repo.tenant('acme')
    using client = await openSseForTesting(streamUrl(gw.url), {
      body: { subscriptions: [{ schema: 'quotes', id: 'big' }] },
    })
    await synced(client)
    client.pause()
    // Large values until the stream is cut: either the socket fills (and newer values
    // replace the queued one) or the drain monitor sees bytes that never get acknowledged.
    const pad = 'x'.repeat(512 * 1024)
    for (let n = 0; n < 200 && stalledCount(await gw.metrics()) === 0; n++) {
      await tenant.put(Quote, 'big', { text: `${n}${pad}` })
    }
    await expect.poll(async () => stalledCount(await gw.metrics())).toBe(1)
    client.resume()
    await client.ended
    const metrics = await gw.metrics()
    expect(metrics.get('fdb_live_gateway_active_watches')).toBe(0)
    expect(metrics.get('fdb_live_gateway_open_streams')).toBe(0)
    expect(metrics.get('fdb_live_gateway_subscriptions')).toBe(0)
  })

  it('never sends an older or repeated version for a record', async () => {
    await using gw = await startTestGateway()
    await using writer = await spawnWriterForTesting(gw.dataDir)
    const streams = await Promise.all(
      [0, 1, 2].map(() =>
        openSseForTesting(streamUrl(gw.url), {
          body: { subscriptions: [{ schema: 'quotes', id: 'n' }] },
        }),
      ),
    )
    await Promise.all(streams.map(synced))
    const versions = await writer.putMany('acme', 'quotes', 'n', 200)
    for (const client of streams) {
      await client.waitFor((e) => e.data['version'] === versions.at(-1))
      const seen = client.values('quotes', 'n').map((e) => e.data['version'] as string)
      for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true)
      client.close()
    }
  })

  it('keeps a stream open with an empty subscription list and heartbeats', async () => {
    await using gw = await startTestGateway({ heartbeatIntervalMs: 50 })
    using client = await openSseForTesting(streamUrl(gw.url), { body: { subscriptions: [] } })
    await synced(client)
    await client.until(() => client.comments.includes('hb'))
  })

  it('ends every stream when the gateway closes', async () => {
    const gw = await startTestGateway()
    const client = await openSseForTesting(streamUrl(gw.url), {
      body: { subscriptions: [{ schema: 'quotes', id: 'x' }] },
    })
    await synced(client)
    await gw.close()
    await client.ended
  })
})
