import fc from 'fast-check'
import { expect, it } from 'vitest'
import { defineSchema, type CollectionQuery } from '@fdb-live/core'
import { openSseForTesting, type SseClientForTesting } from './test-support/sse-client.js'
import { startTestGateway } from './test-support/start-test-gateway.js'
import { forEachStore } from './test-support/stores.js'
import { spawnWriterForTesting } from './test-support/writer.js'

interface Todo {
  title: string
  listId?: string
}
const INDEXES = { byList: 'listId' } as const
const Todo = defineSchema<Todo>('todos', { indexes: INDEXES })

type Step =
  | { kind: 'put'; id: number; list: 'inbox' | 'work' | undefined; n: number }
  | { kind: 'delete'; id: number }
  | { kind: 'connect'; subscriber: number }
  | { kind: 'disconnect'; subscriber: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      id: fc.integer({ min: 0, max: 5 }),
      list: fc.constantFrom('inbox' as const, 'work' as const, undefined),
      n: fc.integer({ min: 0, max: 99 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      id: fc.integer({ min: 0, max: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('connect' as const),
      subscriber: fc.integer({ min: 0, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('disconnect' as const),
      subscriber: fc.integer({ min: 0, max: 3 }),
    }),
  },
)

// Two subscribers of inbox: the second joins the first one's shared watch (with its own since).
const QUERIES: CollectionQuery[] = [
  {},
  { where: { byList: 'inbox' } },
  { where: { byList: 'work' } },
  { where: { byList: 'inbox' } },
]

/** A client of one collection, as useSyncList keeps it: members, versions seen, `since`. */
class Subscriber {
  readonly members = new Map<string, { version: string; value: unknown }>()
  readonly seen = new Map<string, string>()
  since: string | undefined
  client: SseClientForTesting | undefined
  #applied = 0

  constructor(readonly query: CollectionQuery) {}

  /** Applies the events received so far; fails on a change older than one it had. */
  apply(): void {
    const events = this.client?.events ?? []
    for (const e of events.slice(this.#applied)) {
      if (e.event === 'collection-reset') this.members.clear()
      if (e.event === 'collection-synced') this.since = e.data['version'] as string
      if (e.event !== 'collection-change') continue
      const id = e.data['id'] as string
      const version = e.data['version'] as string
      const had = this.seen.get(id)
      if (had !== undefined) expect(version >= had, `${id}: ${version} after ${had}`).toBe(true)
      this.seen.set(id, version)
      if (e.data['value'] === null) this.members.delete(id)
      else this.members.set(id, { version, value: e.data['value'] })
    }
    this.#applied = events.length
  }

  async connect(url: string): Promise<void> {
    if (this.client !== undefined) return
    this.client = await openSseForTesting(url, {
      body: {
        subscriptions: [
          { schema: 'todos', ...this.query, ...(this.since ? { since: this.since } : {}) },
        ],
      },
    })
    this.#applied = 0
    await this.client.waitFor((e) => e.event === 'synced')
  }

  disconnect(): void {
    if (this.client === undefined) return
    this.apply()
    this.client.close()
    this.client = undefined
  }
}

forEachStore('collections property', (store) => {
  it('subscribers that connect, disconnect and resume with since end with exactly tenant.list()', async () => {
    await using gw = await startTestGateway({ store: store.kind })
    await using writer = await spawnWriterForTesting(gw)
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 24 }), async (steps) => {
        const tenantName = `prop-${++run}`
        const url = `${gw.url}/v1/tenants/${tenantName}/stream`
        const subscribers = QUERIES.map((query) => new Subscriber(query))
        try {
          for (const s of steps) {
            if (s.kind === 'put') {
              const value = { title: `${s.n}`, ...(s.list ? { listId: s.list } : {}) }
              await writer.put(tenantName, 'todos', `t${s.id}`, value, INDEXES)
            } else if (s.kind === 'delete') {
              await writer.delete(tenantName, 'todos', `t${s.id}`, INDEXES)
            } else if (s.kind === 'connect') {
              await subscribers[s.subscriber]!.connect(url)
            } else subscribers[s.subscriber]!.disconnect()
          }
          const t = gw.repo.tenant(tenantName)
          for (const sub of subscribers) {
            await sub.connect(url)
            const { version } = await t.changesSince(Todo, sub.query)
            await sub.client!.waitFor(
              (e) => e.event === 'collection-synced' && (e.data['version'] as string) >= version,
            )
            sub.apply()
            const expected = await t.list(Todo, sub.query)
            const held = [...sub.members].map(([id, m]) => ({ id, ...m }))
            held.sort((a, b) => Buffer.compare(Buffer.from(a.id), Buffer.from(b.id)))
            expect(held).toEqual(expected)
          }
        } finally {
          for (const sub of subscribers) sub.disconnect()
        }
      }),
      { numRuns: 10 },
    )
  }, 120_000)
})
