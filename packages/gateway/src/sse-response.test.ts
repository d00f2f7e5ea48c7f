import net from 'node:net'
import { expect, it } from 'vitest'
import { defineSchema } from '@fdb-live/core'
import { requestForTesting } from './test-support/http-request.js'
import { openSseForTesting } from './test-support/sse-client.js'
import { startTestGateway } from './test-support/start-test-gateway.js'
import { forEachStore } from './test-support/stores.js'

const Quote = defineSchema<{ text: string }>('quotes')

/** Everything the server sends on one raw connection, until `until` matches it. */
function rawExchange(url: string, request: string, until: RegExp): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request))
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      received += chunk
      if (until.test(received)) {
        socket.destroy()
        resolve(received)
      }
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(received))
  })
}

forEachStore('stream framing', (store) => {
  it('delimits a stream by closing the connection: no chunk framing between the frames', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    await gw.repo.tenant('acme').put(Quote, 'q1', { text: 'one' })
    const raw = await rawExchange(
      gw.url,
      'GET /v1/tenants/acme/stream?sub=quotes/q1 HTTP/1.1\r\nHost: gw\r\n\r\n',
      /event: synced\ndata: \{\}\n\n/,
    )
    const [head, body] = raw.split('\r\n\r\n', 2) as [string, string]
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(head).toMatch(/\r\nConnection: close(\r\n|$)/i)
    expect(head).not.toMatch(/transfer-encoding|content-length/i)
    // The body is the SSE text itself, from its first byte: no chunk size lines.
    expect(body).toMatch(/^retry: \d+\n\nevent: hello\ndata: /)
    expect(body).toContain('event: value\nid: quotes/q1@')
  })

  it('ends a stream as a complete response for an HTTP client: the connection closes', async () => {
    const gw = await startTestGateway({ store: store.kind })
    using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/q2`)
    await client.waitFor((e) => e.event === 'synced')
    expect(client.headers['transfer-encoding']).toBeUndefined()
    expect(client.headers['connection']).toBe('close')
    await gw.close()
    await client.ended
  })

  it('closes the stream and releases its watch when the client half-closes its side', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    const { hostname, port } = new URL(gw.url)
    const socket = net.connect(Number(port), hostname)
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (received += chunk))
    const closed = new Promise((resolve) => socket.once('close', resolve))
    socket.write('GET /v1/tenants/acme/stream?sub=quotes/q3 HTTP/1.1\r\nHost: gw\r\n\r\n')
    await expect.poll(() => received.includes('event: synced')).toBe(true)
    expect((await gw.metrics()).get('fdb_live_gateway_active_watches')).toBe(1)
    socket.end()
    await closed
    await expect.poll(async () => (await gw.metrics()).get('fdb_live_gateway_open_streams')).toBe(0)
    expect((await gw.metrics()).get('fdb_live_gateway_active_watches')).toBe(0)
  })

  it('answers HEAD with the stream headers and no stream', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    const res = await requestForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/q1`, {
      method: 'HEAD',
    })
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(res.body).toBe('')
    expect((await gw.metrics()).get('fdb_live_gateway_open_streams')).toBe(0)
  })

  it('sends every stream of a record the same change, and heartbeats to idle ones', async () => {
    await using gw = await startTestGateway({ store: store.kind, heartbeatIntervalMs: 80 })
    const url = `${gw.url}/v1/tenants/acme/stream?sub=quotes/shared`
    const clients = await Promise.all(Array.from({ length: 20 }, () => openSseForTesting(url)))
    try {
      await Promise.all(clients.map((c) => c.waitFor((e) => e.event === 'synced')))
      const { version } = await gw.repo.tenant('acme').put(Quote, 'shared', { text: 'two' })
      for (const client of clients) {
        await client.waitFor((e) => e.data['version'] === version)
        expect(client.values('quotes', 'shared').at(-1)!.data).toEqual({
          schema: 'quotes',
          id: 'shared',
          version,
          value: { text: 'two' },
        })
      }
      // The heartbeat wheel reaches every stream, not only some of its slots.
      await Promise.all(clients.map((c) => c.until(() => c.comments.includes('hb'))))
    } finally {
      for (const client of clients) client.close()
    }
  })
})
