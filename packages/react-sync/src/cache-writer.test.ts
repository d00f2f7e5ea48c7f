import { QueryClient } from '@tanstack/react-query'
import { describe, expect, test } from 'vitest'
import { keepNewer, syncEntry, writeEntry, type SyncEntry } from './cache-writer.js'

const V1 = '00000000000000000001'
const V2 = '00000000000000000002'

describe('version-checked cache writes', () => {
  test('writeEntry never goes backwards', () => {
    const queryClient = new QueryClient()
    const key = ['fdb-live', 't', 'quotes', 'a']
    expect(writeEntry(queryClient, key, { value: 'two', version: V2 })).toBe(true)
    expect(writeEntry(queryClient, key, { value: 'one', version: V1 })).toBe(false)
    expect(queryClient.getQueryData<SyncEntry<string>>(key)).toEqual({ value: 'two', version: V2 })
    expect(writeEntry(queryClient, key, { value: null, version: '00000000000000000003' })).toBe(
      true,
    )
    expect(queryClient.getQueryData<SyncEntry<string>>(key)?.value).toBeNull()
  })

  test('keepNewer keeps the cached entry when a fetched entry is older', () => {
    const cached = syncEntry('pushed', V2)
    expect(keepNewer(cached, syncEntry('fetched', V1))).toBe(cached)
    expect(keepNewer(cached, syncEntry('newer', '00000000000000000003'))).toEqual({
      value: 'newer',
      version: '00000000000000000003',
    })
  })

  test('keepNewer shares structure and leaves selected (non-entry) data alone', () => {
    const prev = { version: V2, title: 'a user document that happens to have a version' }
    const next = { version: V1, title: 'changed' }
    expect(keepNewer(prev, next)).toEqual(next)
    const same = { a: [1, 2] }
    expect(keepNewer(same, { a: [1, 2] })).toBe(same)
  })
})
