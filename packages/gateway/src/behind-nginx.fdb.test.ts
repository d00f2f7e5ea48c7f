/**
 * docs/deploy.md's nginx example (docs/deploy/nginx.conf, run as it is) in front of two
 * gateway processes on one FoundationDB cluster: the libfdb_c TEST DOUBLE that vitest's
 * global setup starts (not FoundationDB), or the real cluster in FDB_CLUSTER_FILE. nginx is
 * Debian's, installed by scripts/ensure-nginx.mjs when this runs as root; otherwise the
 * suite is skipped and says why. Writes come from this test's own process.
 */
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  fdbClusterForTesting,
  openQuoteWriterForTesting,
  openStreamsOf,
  type QuoteWriterForTesting,
} from './test-support/fdb-cluster.js'
import {
  startGatewayProcessForTesting,
  type GatewayProcessForTesting,
} from './test-support/gateway-process.js'
import {
  NGINX_EXAMPLE_CONFIG,
  ensureNginxForTesting,
  startNginxForTesting,
  type NginxForTesting,
} from './test-support/nginx.js'
import { ResumingSseClientForTesting } from './test-support/resuming-sse-client.js'

const target = fdbClusterForTesting()
const nginx = target.clusterFile ? ensureNginxForTesting() : { skip: target.label }
if ('skip' in nginx) console.log(`behind-nginx: skipped — ${nginx.skip}`)

const IDS = ['q1', 'q2', 'q3'] as const
const subscriptions = IDS.map((id) => ({ schema: 'quotes', id }))

it('docs/deploy.md shows docs/deploy/nginx.conf verbatim (the config the nginx test runs)', async () => {
  const config = await readFile(NGINX_EXAMPLE_CONFIG, 'utf8')
  const doc = await readFile(
    path.join(path.dirname(NGINX_EXAMPLE_CONFIG), '..', 'deploy.md'),
    'utf8',
  )
  expect(doc).toContain('```nginx\n' + config + '```\n')
})

describe.skipIf('skip' in nginx)(`nginx in front of two gateways on one ${target.label}`, () => {
  const tenant = `behind-nginx-${randomUUID().slice(0, 8)}`
  const flags = ['--store', 'fdb', '--cluster-file', target.clusterFile!]
  let writer: QuoteWriterForTesting
  let gateways: GatewayProcessForTesting[] = []
  let proxy: NginxForTesting | undefined

  beforeAll(async () => {
    if ('failure' in nginx) throw new Error(nginx.failure)
    writer = await openQuoteWriterForTesting(target.clusterFile!, tenant)
    await writer.write([
      ['q1', 0],
      ['q2', 0],
      ['q3', 0],
    ])
  })
  afterAll(async () => {
    await writer?.[Symbol.asyncDispose]()
  })
  // Each test gets two fresh gateways and a fresh nginx: nginx's memory of a failed gateway
  // (max_fails, fail_timeout) is not carried from one test into the next.
  beforeEach(async () => {
    if (!('path' in nginx)) return
    gateways = await Promise.all([
      startGatewayProcessForTesting(flags),
      startGatewayProcessForTesting(flags),
    ])
    proxy = await startNginxForTesting({
      nginxPath: nginx.path,
      gateways: [gateways[0]!.port, gateways[1]!.port],
    })
  }, 60_000)
  afterEach(async () => {
    await proxy?.close()
    for (const gateway of gateways) await gateway.stop('SIGKILL')
  })

  /** Opens `count` clients through nginx and waits until every one has the current state. */
  async function clientsThroughNginx(count: number): Promise<ResumingSseClientForTesting[]> {
    const url = proxy!.url
    const clients = Array.from(
      { length: count },
      () => new ResumingSseClientForTesting({ tenant, subscriptions, url: () => url }),
    )
    const finals = await writer.versions(IDS)
    await Promise.all(clients.map((c) => c.until(() => c.hasVersions(finals))))
    return clients
  }

  /**
   * Stops the gateway that serves the most streams with `signal` and writes a change at
   * once; waits until every client, through nginx, has it, the stopped gateway's clients
   * on a new connection that resumed with `since`. Checks what a user would notice and
   * returns how long it took, and which gateway it stopped.
   */
  async function loseOneGateway(
    clients: ResumingSseClientForTesting[],
    signal: NodeJS.Signals,
    change: [id: string, n: number],
  ): Promise<{ ms: number; victim: GatewayProcessForTesting }> {
    const streams = await Promise.all(gateways.map((g) => openStreamsOf(g.url)))
    // nginx spread the streams over both gateways, so stopping one matters.
    expect(
      streams.every((n) => n > 0),
      `streams per gateway: ${streams.join(', ')}`,
    ).toBe(true)
    expect(streams[0]! + streams[1]!).toBe(clients.length)
    const victim = streams[0]! >= streams[1]! ? gateways[0]! : gateways[1]!
    const survivor = victim === gateways[0] ? gateways[1]! : gateways[0]!
    const onVictim = Math.max(...streams)
    const connections = clients.map((c) => c.connections)
    const before = clients.map((c) => c.values.length)

    const stoppedAt = performance.now()
    await victim.stop(signal)
    await writer.write([change])
    const finals = await writer.versions(IDS)
    await Promise.all(
      clients.map((c) => c.until(() => c.hasVersions(finals) && c.synced.length >= c.connections)),
    )
    const ms = performance.now() - stoppedAt

    // Exactly the victim's clients reconnected, and all of them are on the survivor now.
    expect(clients.filter((c, i) => c.connections > connections[i]!).length).toBe(onVictim)
    expect(await openStreamsOf(survivor.url)).toBe(clients.length)
    for (const [i, client] of clients.entries()) {
      expect(client.notNewer).toEqual([])
      expect(client.seen.get(`quotes/${change[0]}`)?.value).toEqual({
        text: `${change[0]} #${change[1]}`,
        n: change[1],
      })
      // Resumed with since: no record that did not change came again.
      const keys = new Set(client.values.slice(before[i]).map((v) => v.key))
      expect([...keys]).toEqual([`quotes/${change[0]}`])
    }
    if (signal === 'SIGTERM') expect((await victim.exited).code).toBe(0)
    return { ms, victim }
  }

  it(
    'clients through nginx converge, whichever gateway serves them; SIGKILL one gateway → every client converges again through nginx, none lost; restarted, it gets new streams at once',
    { timeout: 60_000 },
    async () => {
      const clients = await clientsThroughNginx(8)
      try {
        await writer.write([
          ['q1', 1],
          ['q2', 1],
        ])
        const synced = await writer.versions(IDS)
        await Promise.all(clients.map((c) => c.until(() => c.hasVersions(synced))))
        const { ms, victim } = await loseOneGateway(clients, 'SIGKILL', ['q1', 2])
        console.log(
          `behind-nginx (${target.label}): a gateway SIGKILLed → all 8 clients through nginx had the write made meanwhile in ${ms.toFixed(0)} ms`,
        )

        // It comes back on its port: nginx gives it new streams at once (streams are not
        // held back by passive health marks, docs/deploy.md), and they are live.
        const back = await startGatewayProcessForTesting([...flags, '--port', String(victim.port)])
        gateways[gateways.indexOf(victim)] = back
        const more = await clientsThroughNginx(8)
        clients.push(...more)
        expect(await openStreamsOf(back.url)).toBeGreaterThan(0)
        await writer.write([['q2', 2]])
        const finals = await writer.versions(IDS)
        await Promise.all(clients.map((c) => c.until(() => c.hasVersions(finals))))
      } finally {
        for (const client of clients) client.close()
      }
    },
  )

  it(
    'graceful drain: SIGTERM one gateway → its streams end at once, its clients resume through nginx on the other, none lost',
    { timeout: 60_000 },
    async () => {
      const clients = await clientsThroughNginx(8)
      try {
        const { ms } = await loseOneGateway(clients, 'SIGTERM', ['q3', 1])
        console.log(
          `behind-nginx (${target.label}): a gateway drained (SIGTERM) → all 8 clients through nginx had the write made meanwhile in ${ms.toFixed(0)} ms`,
        )
      } finally {
        for (const client of clients) client.close()
      }
    },
  )
})
