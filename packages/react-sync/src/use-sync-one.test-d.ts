import { expectTypeOf, test } from 'vitest'
import { skipToken } from '@tanstack/react-query'
import { Quote, type QuoteDoc } from './test-support/quote.js'
import { syncQueryKey, type SyncQueryKey } from './query-key.js'
import { useSuspenseSyncOne, useSyncOne } from './use-sync-one.js'
import type { SyncKeyStatus } from './sync-client.js'

test('useSyncOne infers the document type from the schema', () => {
  const result = useSyncOne(Quote, 'my-favorite-quote')
  expectTypeOf(result.data).toEqualTypeOf<QuoteDoc | null | undefined>()
  expectTypeOf(result.version).toEqualTypeOf<string | undefined>()
  expectTypeOf(result.syncStatus).toEqualTypeOf<SyncKeyStatus>()
  if (result.isSuccess) expectTypeOf(result.data).toEqualTypeOf<QuoteDoc | null>()
})

test('a user queryFn must return the schema type', () => {
  useSyncOne(Quote, 'q', {
    queryFn: () => Promise.resolve({ author: 'a', content: 'c', likes: 1 }),
  })
  // @ts-expect-error -- not a QuoteDoc
  useSyncOne(Quote, 'q', { queryFn: () => Promise.resolve({ nope: true }) })
})

test('useSuspenseSyncOne data is loaded', () => {
  expectTypeOf(useSuspenseSyncOne(Quote, 'q').data).toEqualTypeOf<QuoteDoc | null>()
})

test('syncQueryKey is the documented tuple', () => {
  expectTypeOf(syncQueryKey('t', Quote, 'q')).toEqualTypeOf<SyncQueryKey>()
  expectTypeOf<SyncQueryKey>().toEqualTypeOf<readonly ['fdb-live', string, string, string]>()
})

test('enabled may be a function of the query, and queryFn may be skipToken (TanStack v5)', () => {
  useSyncOne(Quote, 'q', { enabled: (query) => query.state.data?.version !== undefined })
  useSyncOne(Quote, 'q', { queryFn: skipToken })
  // @ts-expect-error -- Suspense queries cannot be skipped (as in TanStack)
  useSuspenseSyncOne(Quote, 'q', { queryFn: skipToken })
})
