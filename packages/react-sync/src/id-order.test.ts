import { expect, test } from 'vitest'
import { compareIds } from './id-order.js'

test('ids sort by their UTF-8 bytes, as the store orders keys', () => {
  const ids = ['b', 'a', 'ab', '\u{1F600}', '\uFF5E', 'Z', '\u00E9']
  const bytes = (s: string) => [...new TextEncoder().encode(s)]
  const byBytes = [...ids].sort((x, y) => {
    const [a, b] = [bytes(x), bytes(y)]
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
    return a.length - b.length
  })
  expect([...ids].sort(compareIds)).toEqual(byBytes)
  // JavaScript's own order puts the emoji (a surrogate pair) before U+FF5E.
  expect([...ids].sort()).not.toEqual(byBytes)
})
