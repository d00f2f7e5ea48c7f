import { expect, it } from 'vitest'
import { coalescedRead } from './coalesced-read.js'

it('shares one read among the callers of a tick, and starts it after the last of them', async () => {
  let reads = 0
  let value = 'a'
  const read = coalescedRead(() => {
    reads += 1
    return Promise.resolve(value)
  })
  const first = [read(), read()]
  value = 'b' // changed after the callers came, before the read: they must see it
  expect(await Promise.all([...first, read()])).toEqual(['b', 'b', 'b'])
  expect(reads).toBe(1)
  value = 'c'
  expect(await read()).toBe('c')
  expect(reads).toBe(2)
})

it('gives every caller of a failed read the error, and reads again for the next caller', async () => {
  let fail = true
  const read = coalescedRead(() => (fail ? Promise.reject(new Error('down')) : Promise.resolve(1)))
  await expect(Promise.all([read(), read()])).rejects.toThrow('down')
  fail = false
  expect(await read()).toBe(1)
})
