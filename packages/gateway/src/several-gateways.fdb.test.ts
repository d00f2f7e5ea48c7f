/**
 * Several gateway processes on one FoundationDB cluster (docs/deploy.md): every gateway
 * serves every client, and a client whose gateway dies resumes on another with `since`,
 * without loss. The cluster is the libfdb_c TEST DOUBLE that vitest's global setup starts
 * (not FoundationDB), or the real cluster in FDB_CLUSTER_FILE. The writer is this test's own
 * process: a third process next to the two gateways.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  fdbClusterForTesting,
  openQuoteWriterForTesting,
  openStreamsOf,
} from './test-support/fdb-cluster.js'
import { startGatewayProcessForTesting } from './test-support/gateway-process.js'
import { ResumingSseClientForTesting } from './test-support/resuming-sse-client.js'

const target = fdbClusterForTesting()
if (!target.clusterFile) console.log(`several-gateways: skipped — ${target.label}`)

const IDS = ['q1', 'q2', 'q3'] as const
const subscriptions = IDS.map((id) => ({ schema: 'quotes', id }))

describe.skipIf(!target.clusterFile)(`two gateway processes on one ${target.label}`, () => {
  it(
    'clients on both converge; SIGKILL one gateway → its clients resume on the other with since, without loss',
    { timeout: 60_000 },
    async () => {
      const tenant = `several-gateways-${randomUUID().slice(0, 8)}`
      await using writer = await openQuoteWriterForTesting(target.clusterFile!, tenant)
      const flags = ['--store', 'fdb', '--cluster-file', target.clusterFile!]
      await using g1 = await startGatewayProcessForTesting(flags)
      await using g2 = await startGatewayProcessForTesting(flags)
      await writer.write([
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
        let finals = await writer.versions(IDS)
        await Promise.all(clients.map((c) => c.until(() => c.hasVersions(finals))))
        expect(await openStreamsOf(g1.url)).toBe(3)
        expect(await openStreamsOf(g2.url)).toBe(3)

        // Writes from this process reach the clients of both gateways.
        await writer.write([
          ['q1', 1],
          ['q2', 1],
          ['q1', 2],
        ])
        finals = await writer.versions(IDS)
        await Promise.all(clients.map((c) => c.until(() => c.hasVersions(finals))))
        const before = clients.map((c) => c.values.length)

        // g1 dies without a word. Its clients reconnect to g2 and resume with `since`; q1
        // changes meanwhile, q2 and q3 do not.
        const killedAt = performance.now()
        await g1.stop('SIGKILL')
        await writer.write([['q1', 3]])
        finals = await writer.versions(IDS)
        const moved = clients.slice(0, 3)
        await Promise.all(
          moved.map((c) => c.until(() => c.synced.includes(2) && c.hasVersions(finals))),
        )
        const movedMs = performance.now() - killedAt
        console.log(
          `several-gateways (${target.label}): g1 SIGKILLed → its 3 clients resumed on g2 with the write made meanwhile in ${movedMs.toFixed(0)} ms`,
        )
        await Promise.all(clients.slice(3).map((c) => c.until(() => c.hasVersions(finals))))
        expect(await openStreamsOf(g2.url)).toBe(6)

        for (const [index, client] of moved.entries()) {
          expect(client.connections).toBe(2)
          // Resumed, not restarted: on the new connection only q1 (changed since) arrived.
          const resumed = client.values.slice(before[index]).filter((v) => v.connection === 2)
          expect(resumed.map((v) => v.key)).toEqual(['quotes/q1'])
        }

        // Everyone, now all on g2, keeps up with new writes.
        await writer.write([
          ['q2', 2],
          ['q3', 1],
        ])
        finals = await writer.versions(IDS)
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
