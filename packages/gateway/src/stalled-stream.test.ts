import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { defineSchema } from '@fdb-live/core'
import { openSseForTesting } from './test-support/sse-client.js'
import { startTestGateway } from './test-support/start-test-gateway.js'
import { forEachStore } from './test-support/stores.js'
import { readTcpRows } from './tcp-queues.js'

const Quote = defineSchema<{ text: string }>('quotes')
const FIN_WAIT_1 = 0x04
const linux = fs.existsSync('/proc/net/tcp')

forEachStore('a client that stops reading', (store) => {
  describe.skipIf(!linux)('(Linux only: /proc/net/tcp)', () => {
    it('is cut while its events are small and its socket far from full, and its connection is reset', async () => {
      await using gw = await startTestGateway({ store: store.kind, stalledStreamTimeoutMs: 500 })
      const tenant = gw.repo.tenant('acme')
      using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/small`)
      await client.waitFor((e) => e.event === 'synced')
      client.pause()
      const stalled = async (reason: string): Promise<number> =>
        (await gw.metrics()).get(`fdb_live_gateway_streams_stalled_total{reason="${reason}"}`) ?? 0

      // A record that changes about 100 times a second with ~1 KB values: the kernel buffers
      // take all of it, so Node never reports the socket full.
      let written = 0
      while ((await stalled('unacknowledged')) + (await stalled('full')) === 0 && written < 1_500) {
        await tenant.put(Quote, 'small', { text: `${written} ${'x'.repeat(1000)}` })
        written += 1
        await new Promise((resolve) => setTimeout(resolve, 10)) // the writer's pace, not a wait
      }
      expect(await stalled('unacknowledged')).toBe(1)
      expect(await stalled('full')).toBe(0)
      const metrics = await gw.metrics()
      expect(metrics.get('fdb_live_gateway_active_watches')).toBe(0)
      expect(metrics.get('fdb_live_gateway_open_streams')).toBe(0)

      // Reset, not closed behind the unread bytes: no FIN-WAIT-1 socket holds kernel memory.
      const port = Number(new URL(gw.url).port)
      const lingering = readTcpRows()!.filter(
        (row) =>
          row.localPort === port && row.remotePort === client.localPort && row.state === FIN_WAIT_1,
      )
      expect(lingering).toEqual([])
      // The loop above is bounded (1,500 writes); on a loaded 2-core machine it needs more
      // than the default 30 s.
    }, 90_000)
  })
})
