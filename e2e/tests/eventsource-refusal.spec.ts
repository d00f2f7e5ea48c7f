import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { SOURCE_FLAGS, freePort, startNode } from '../support/processes.js'

/** What the page's plain EventSource saw, in order. */
interface Seen {
  type: string
  data?: string
  readyState: number
}

declare global {
  interface Window {
    seen: Seen[]
    source: EventSource
  }
}

// docs/protocol.md, "Transient refusal": a browser's EventSource gives up for good on any
// answer but 200 text/event-stream, so a gateway that cannot serve a stream *yet* must
// refuse it in a form the browser retries by itself.
test('a plain EventSource keeps retrying while the gateway has no store, and goes live once it has one', async ({
  page,
}) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'fdb-live-e2e-refusal-'))
  // A file where the data directory belongs: the gateway starts, but cannot open its store.
  const dataDir = path.join(dir, 'data')
  await writeFile(dataDir, 'in the way')
  const port = await freePort()
  const cli = ['packages/gateway/src/cli.ts', 'gateway', '--port', String(port), '--create']
  const gateway = startNode('gateway', [...SOURCE_FLAGS, ...cli, '--data-dir', dataDir], {
    env: { FDB_LIVE_LOG_LEVEL: 'warn' },
  })
  try {
    await gateway.waitForLine(/listening on/)
    const url = `http://127.0.0.1:${port}`
    // Same origin as the stream, so only the gateway's answer decides what the browser does.
    await page.goto(`${url}/v1/healthz`)
    await page.evaluate(() => {
      window.seen = []
      const source = new EventSource('/v1/tenants/acme/stream?sub=quotes/q')
      window.source = source
      const note = (type: string) => (event: Event) =>
        window.seen.push({
          type,
          ...(event instanceof MessageEvent ? { data: String(event.data) } : {}),
          readyState: source.readyState,
        })
      source.addEventListener('open', note('open'))
      source.addEventListener('error', note('error'))
      source.addEventListener('hello', note('hello'))
      source.addEventListener('synced', note('synced'))
    })

    const refusals = () =>
      page.evaluate(
        () => window.seen.filter((e) => e.data?.includes('store_unavailable') === true).length,
      )
    // Refused twice means it came back after a refusal: the browser did not give up.
    await expect.poll(refusals, { timeout: 20_000 }).toBeGreaterThanOrEqual(2)
    // 2 is EventSource.CLOSED: what a 503 would have led to.
    expect(await page.evaluate(() => window.source.readyState)).not.toBe(2)

    await unlink(dataDir)
    await expect
      .poll(() => page.evaluate(() => window.seen.map((e) => e.type)), { timeout: 30_000 })
      .toContain('synced')
    const hello = await page.evaluate(() => window.seen.find((e) => e.type === 'hello')?.data)
    expect(JSON.parse(hello!)).toEqual({ epoch: expect.stringMatching(/^[0-9a-f]{32}$/) })
    expect(await page.evaluate(() => window.source.readyState)).toBe(1)
  } finally {
    await page.evaluate(() => window.source?.close()).catch(() => {})
    await gateway.stop('SIGTERM')
    await rm(dir, { recursive: true, force: true })
  }
})
