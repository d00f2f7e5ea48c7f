import './test-support/node-typed-arrays.js'
import {
  startRestartableGatewayForTesting,
  type RestartableGatewayForTesting,
} from '@fdb-live/gateway/test-support'
import { QueryClient } from '@tanstack/react-query'
import fc from 'fast-check'
import { afterEach, expect, test, vi } from 'vitest'
import type { SyncListEntry } from './cache-writer.js'
import { syncListQueryKey } from './query-key.js'
import type { SyncClient } from './sync-client.js'
import { Quote, quote, type QuoteDoc } from './test-support/quote.js'
import { createTestClientForTesting } from './test-support/test-client.js'

const TENANT = 'acme'
let gateway: RestartableGatewayForTesting | undefined

afterEach(async () => {
  await gateway?.close()
  gateway = undefined
})

/** A browser page: its cache outlives its client, as a page's data outlives a reconnect. */
interface Page {
  queryClient: QueryClient
  client: SyncClient | undefined
  release: (() => void) | undefined
  /** Set when the cached list ever moved backwards (its version, or a member's). */
  wentBack: string | undefined
}

type Op =
  | { kind: 'put'; id: string; likes: number }
  | { kind: 'delete'; id: string }
  | { kind: 'reconnect'; page: number }
  | { kind: 'restartGateway' }

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      likes: fc.nat(99),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), page: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restartGateway' as const) }) },
)

function open(page: Page, url: string): void {
  page.client = createTestClientForTesting(url, { tenant: TENANT, queryClient: page.queryClient })
  page.release = page.client.subscribeList(Quote.name, null)
}

function watchBackwards(page: Page): void {
  const key = syncListQueryKey(TENANT, Quote)
  let previous: SyncListEntry<QuoteDoc> | undefined
  page.queryClient.getQueryCache().subscribe(() => {
    const entry = page.queryClient.getQueryData<SyncListEntry<QuoteDoc>>(key)
    if (entry === undefined || entry === previous) return
    if (previous !== undefined && entry.version < previous.version) page.wentBack ??= 'list'
    for (const member of entry.members) {
      const before = previous?.members.find((m) => m.id === member.id)
      if (before !== undefined && member.version < before.version) page.wentBack ??= member.id
    }
    previous = entry
  })
}

const shown = (page: Page) =>
  page.queryClient
    .getQueryData<SyncListEntry<QuoteDoc>>(syncListQueryKey(TENANT, Quote))
    ?.members.map((m) => `${m.id}:${m.value.likes}`)

// It found a stream that a stopping gateway had just accepted: `hello`, `store_closed` for
// the collection, `synced`, then nothing, never ended; the client now reconnects on
// `store_closed` (connection.ts).
test('random writes, page reconnects and gateway restarts: every page ends with exactly the store list, never moving backwards', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), async (ops) => {
      gateway = await startRestartableGatewayForTesting()
      const g = gateway
      const pages: Page[] = [0, 1].map(() => ({
        queryClient: new QueryClient(),
        client: undefined,
        release: undefined,
        wentBack: undefined,
      }))
      for (const page of pages) {
        watchBackwards(page)
        open(page, g.url)
      }
      const tenant = () => g.repo().tenant(TENANT)
      for (const step of ops) {
        if (step.kind === 'put') await tenant().put(Quote, step.id, quote(step.id, step.likes))
        else if (step.kind === 'delete') await tenant().delete(Quote, step.id)
        else if (step.kind === 'reconnect') {
          const page = pages[step.page]!
          page.release?.()
          page.client?.close()
          open(page, g.url)
        } else {
          await g.stop()
          await g.openStore()
          await tenant().put(Quote, 'z', quote('while down'))
          await g.start()
        }
      }
      const expected = (await tenant().list(Quote)).map((r) => `${r.id}:${r.value.likes}`)
      await vi.waitFor(
        () => {
          for (const page of pages) expect(shown(page)).toEqual(expected)
        },
        { timeout: 10_000, interval: 20 },
      )
      for (const page of pages) {
        expect(page.wentBack).toBeUndefined()
        page.release?.()
        page.client?.close()
      }
      await g.close()
      gateway = undefined
    }),
    { numRuns: 6, seed: 13 },
  )
}, 120_000)
