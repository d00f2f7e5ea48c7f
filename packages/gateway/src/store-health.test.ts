import fs from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openSseForTesting } from './test-support/sse-client.js'
import { startTestGateway } from './test-support/start-test-gateway.js'
import { spawnWriterForTesting } from './test-support/writer.js'

const POLLING = 'fdb_live_gateway_store_commit_wakeups_polling'

describe('store health', () => {
  afterEach(() => vi.restoreAllMocks())

  it('keeps a stream live when the store cannot watch commits.notify, and says so on /metrics (embedded store only: commits.notify)', async () => {
    await using gw = await startTestGateway()
    expect((await gw.metrics()).get(POLLING)).toBe(0)
    // What the kernel answers once the inotify limit is reached.
    vi.spyOn(fs, 'watch').mockImplementation(() => {
      throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), {
        code: 'ENOSPC',
      })
    })
    using client = await openSseForTesting(`${gw.url}/v1/tenants/acme/stream?sub=quotes/q`)
    await client.waitFor((e) => e.event === 'synced')
    expect(client.events.filter((e) => e.event === 'error')).toEqual([])
    expect((await gw.metrics()).get(POLLING)).toBe(1)

    await using writer = await spawnWriterForTesting(gw.dataDir)
    const version = await writer.put('acme', 'quotes', 'q', { text: 'through the poll' })
    await client.waitFor((e) => e.event === 'value' && e.data['version'] === version)
  })
})
