/**
 * Several gateway processes on one FoundationDB cluster (docs/deploy.md): every gateway
 * serves every client, and a client whose gateway dies resumes on another with `since`,
 * without loss. Here the cluster is the libfdb_c TEST DOUBLE that vitest's global setup
 * starts (not FoundationDB), or the real cluster in FDB_CLUSTER_FILE. The writer is this
 * test's own process: a third process next to the two gateways.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRepo, defineSchema, openStore, type KvStore, type Repo } from '@fdb-live/core'
import { fetchMetrics } from './test-support/start-test-gateway.js'
import {
  startGatewayProcessForTesting,
  type GatewayProcessForTesting,
} from './test-support/gateway-process.js'
import { ResumingSseClientForTesting } from './test-support/resuming-sse-client.js'

// As core's fdbTargetForTesting (whose test-support entry has no types for tsc here).
const target = {
  clusterFile: process.env['FDB_CLUSTER_FILE'],
  label:
    process.env['FDB_LIVE_FDB_TARGET'] === 'double'
      ? 'libfdb_c test double (not FoundationDB)'
      : `FoundationDB cluster (${process.env['FDB_CLUSTER_FILE']})`,
}
if (!target.clusterFile) {
  console.log('several-gateways: skipped — FDB_CLUSTER_FILE is not set (run through vitest)')
}

const Quote = defineSchema<{ text: string; n: number }>('quotes')
const IDS = ['q1', 'q2', 'q3'] as const
const subscriptions = IDS.map((id) => ({ schema: 'quotes', id }))

describe.skipIf(!target.clusterFile)(`two gateway processes on one ${target.label}`, () => {
  let store: KvStore
  let repo: Repo
  beforeAll(async () => {
    store = await openStore({ kind: 'fdb', clusterFile: target.clusterFile! })
    repo = createRepo(store)
  })
  afterAll(async () => {
    await store?.close()
  })

  /** Writes from this process; returns the final version of every record, by `quotes/<id>`. */
  async function write(
    tenant: string,
    changes: [id: string, n: number][],
  ): Promise<Map<string, string>> {
    const finals = new Map<string, string>()
    for (const [id, n] of changes) {
      const { version } = await repo.tenant(tenant).put(Quote, id, { text: `${id} #${n}`, n })
      finals.set(`quotes/${id}`, version)
    }
    return finals
  }

  async function currentVersions(tenant: string): Promise<Map<string, string>> {
    const versions = new Map<string, string>()
    for (const id of IDS) {
      const record = await repo.tenant(tenant).get(Quote, id)
      versions.set(`quotes/${id}`, record!.version)
    }
    return versions
  }

  async function openStreams(gateway: GatewayProcessForTesting): Promise<number | undefined> {
    return (await fetchMetrics(gateway.url)).get('fdb_live_gateway_open_streams')
  }

  it(
    'clients on both converge; SIGKILL one gateway → its clients resume on the other with since, without loss',
    { timeout: 60_000 },
    async () => {
      const tenant = `several-gateways-${randomUUID().slice(0, 8)}`
      const flags = ['--store', 'fdb', '--cluster-file', target.clusterFile!]
      await using g1 = await startGatewayProcessForTesting(flags)
      await using g2 = await startGatewayProcessForTesting(flags)
      await write(tenant, [
        ['q1', 0],
        ['q2', 0],
        ['q3', 0],
      ])

      // Three clients on each gateway. A client of g1 goes to g2 when it reconnects (what a
      // load balancer does once g1 is gone); a client of g2 stays there.
      const urls = [g1.url, g2.url]
      const clients = [0, 0, 0, 1, 1, 1].map(
        (first) =>
          new ResumingSseClientForTesting({
            tenant,
            subscriptions,
            url: (attempt) => urls[Math.min(first + attempt, 1)]!,
          }),
      )
      try {
        let finals = await currentVersions(tenant)
        await Promise.all(clients.map((c) => c.until(() => c.hasVersions(finals), 15_000, 'sync')))
        expect(await openStreams(g1)).toBe(3)
        expect(await openStreams(g2)).toBe(3)

        // Writes from this process reach the clients of both gateways.
        finals = await write(tenant, [
          ['q1', 1],
          ['q2', 1],
          ['q1', 2],
        ])
        finals = await currentVersions(tenant)
        await Promise.all(clients.map((c) => c.until(() => c.hasVersions(finals), 15_000)))
        const before = clients.map((c) => c.values.length)

        // g1 dies without a word. Its clients reconnect to g2 and resume with `since`; q1
        // changes meanwhile, q2 and q3 do not.
        const killedAt = performance.now()
        await g1.stop('SIGKILL')
        await write(tenant, [['q1', 3]])
        finals = await currentVersions(tenant)
        const moved = clients.slice(0, 3)
        await Promise.all(
          moved.map((c) =>
            c.until(() => c.connections === 2 && c.synced.includes(2) && c.hasVersions(finals)),
          ),
        )
        const movedMs = performance.now() - killedAt
        console.log(
          `several-gateways (${target.label}): g1 killed → its 3 clients resumed on g2 with the latest write in ${movedMs.toFixed(0)} ms`,
        )
        await Promise.all(clients.slice(3).map((c) => c.until(() => c.hasVersions(finals))))
        expect(await openStreams(g2)).toBe(6)

        for (const [index, client] of moved.entries()) {
          // Resumed, not restarted: on the new connection only q1 (changed since) arrived.
          const resumed = client.values.slice(before[index]).filter((v) => v.connection === 2)
          expect(resumed.map((v) => v.key)).toEqual(['quotes/q1'])
        }

        // Everyone, now all on g2, keeps up with new writes.
        await write(tenant, [
          ['q2', 2],
          ['q3', 1],
        ])
        finals = await currentVersions(tenant)
        await Promise.all(clients.map((c) => c.until(() => c.hasVersions(finals))))
        for (const client of clients) {
          expect(client.notNewer).toEqual([])
          expect(client.seen.get('quotes/q1')?.value).toEqual({ text: 'q1 #3', n: 3 })
        }
      } finally {
        for (const client of clients) client.close()
      }
    },
  )
})
