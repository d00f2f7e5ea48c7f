import { describe, expect, test } from 'vitest'
import { keepNewer, syncEntry } from './cache-writer.js'
import { requestEpoch, sinceFor } from './store-epoch.js'
import { isAtLeast, isOlderEntry } from './version-order.js'

const A = 'a'.repeat(32)
const B = 'b'.repeat(32)
const V1 = '00000000000000010000'
const V9 = '00000000000000090000'

describe('store epochs (reset detection)', () => {
  test("a request carries the stream's epoch, else a cached entry's", () => {
    expect(requestEpoch(B, [syncEntry('x', V9, A)])).toBe(B)
    expect(requestEpoch(undefined, [undefined, syncEntry('x', V9), syncEntry('y', V1, A)])).toBe(A)
    expect(requestEpoch(undefined, [syncEntry('x', V9)])).toBeUndefined()
  })

  test('a cached version of another epoch is not sent as since', () => {
    expect(sinceFor(undefined, syncEntry('x', V9, A), B)).toBeUndefined()
    expect(sinceFor(V1, syncEntry('x', V9, A), B)).toBe(V1)
    expect(sinceFor(undefined, syncEntry('x', V9, A), A)).toBe(V9)
    // Unknown epochs (an older gateway) compare as before.
    expect(sinceFor(V1, syncEntry('x', V9), undefined)).toBe(V9)
  })

  test("the new store's value replaces the cached one even with a lower version", () => {
    const cached = syncEntry('before the reset', V9, A)
    const fromNewStore = syncEntry('after the reset', V1, B)
    expect(keepNewer(cached, fromNewStore)).toEqual(fromNewStore)
    expect(isOlderEntry(fromNewStore, cached)).toBe(false)
    expect(isAtLeast(cached, fromNewStore)).toBe(false)
    // Within one epoch the order still holds.
    expect(keepNewer(cached, syncEntry('stale', V1, A))).toBe(cached)
  })
})
