import { expectTypeOf, test } from 'vitest'
import { Quote, type QuoteDoc } from './test-support/quote.js'
import { syncListQueryKey, type SyncListQueryKey } from './query-key.js'
import type { SyncKeyStatus } from './sync-client.js'
import { useSuspenseSyncList, useSyncList } from './use-sync-list.js'

type Members = ReadonlyArray<{
  readonly id: string
  readonly version: string
  readonly value: QuoteDoc
}>

test('useSyncList infers the members from the schema', () => {
  const result = useSyncList(Quote)
  expectTypeOf(result.data).toEqualTypeOf<Members | undefined>()
  expectTypeOf(result.version).toEqualTypeOf<string | undefined>()
  expectTypeOf(result.syncStatus).toEqualTypeOf<SyncKeyStatus>()
  if (result.isSuccess) expectTypeOf(result.data[0]?.value).toEqualTypeOf<QuoteDoc | undefined>()
})

test('where is one index value: a string, number or boolean', () => {
  useSyncList(Quote, { where: { byAuthor: 'Test' } })
  useSyncList(Quote, { where: { likes: 3 }, enabled: false })
  // @ts-expect-error -- not a string, number or boolean
  useSyncList(Quote, { where: { byAuthor: { nested: true } } })
})

test('useSuspenseSyncList data is loaded', () => {
  expectTypeOf(useSuspenseSyncList(Quote).data).toEqualTypeOf<Members>()
  // @ts-expect-error -- Suspense queries cannot be disabled (as in TanStack)
  useSuspenseSyncList(Quote, { enabled: false })
})

test('syncListQueryKey is the documented tuple', () => {
  expectTypeOf(syncListQueryKey('t', Quote)).toEqualTypeOf<SyncListQueryKey>()
  expectTypeOf<SyncListQueryKey>().toEqualTypeOf<
    readonly ['fdb-live', string, string, { readonly list: SyncWhereOf }]
  >()
})

type SyncWhereOf = Readonly<Record<string, string | number | boolean>> | null
