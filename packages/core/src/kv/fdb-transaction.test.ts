import type { Transaction } from 'foundationdb'
import { describe, expect, it } from 'vitest'
import { isSyncError } from '../errors.js'
import { FdbKvTransaction } from './fdb-transaction.js'

/** Records what the wrapper hands to the binding (no libfdb_c needed). */
function recordingTn() {
  const calls: { method: string; args: unknown[] }[] = []
  const tn = new Proxy(
    {},
    {
      get:
        (_target, method: string) =>
        (...args: unknown[]) => {
          calls.push({ method, args })
          return method === 'getRangeAll' ? Promise.resolve([]) : undefined
        },
    },
  ) as Transaction
  return { tn, calls }
}

describe('FdbKvTransaction', () => {
  it('passes a versionstamped value with its offset as 4 little-endian bytes', () => {
    const { tn, calls } = recordingTn()
    const tx = new FdbKvTransaction(tn, new Set())
    tx.setVersionstampedValue(new Uint8Array([1]), new Uint8Array(13).fill(7), 3)
    expect(calls[0]!.method).toBe('setVersionstampedValueRaw')
    const [key, param] = calls[0]!.args as [Buffer, Buffer]
    expect(Buffer.isBuffer(key)).toBe(true)
    expect(param.length).toBe(17)
    expect(param.readUInt32LE(13)).toBe(3)
    expect(param.subarray(0, 13).every((b) => b === 7)).toBe(true)
  })

  it('rejects a versionstamp that does not fit in the value', () => {
    const tx = new FdbKvTransaction(recordingTn().tn, new Set())
    expect(() => tx.setVersionstampedValue(new Uint8Array([1]), new Uint8Array(12), 3)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    )
  })

  it('hands Buffers to the binding and skips empty ranges', async () => {
    const { tn, calls } = recordingTn()
    const tx = new FdbKvTransaction(tn, new Set())
    tx.set(new Uint8Array([1, 2]), new Uint8Array([3]))
    expect(calls[0]!.args.every((arg) => Buffer.isBuffer(arg))).toBe(true)
    await expect(tx.getRange(new Uint8Array([2]), new Uint8Array([1]))).resolves.toEqual([])
    await expect(
      tx.getRange(new Uint8Array([1]), new Uint8Array([2]), { limit: 0 }),
    ).resolves.toEqual([])
    tx.clearRange(new Uint8Array([2]), new Uint8Array([2]))
    expect(calls.map((c) => c.method)).toEqual(['set'])
    await tx.getRange(new Uint8Array([1]), new Uint8Array([2]), { limit: 5, reverse: true })
    expect(calls[1]).toMatchObject({
      method: 'getRangeAll',
      args: [expect.anything(), expect.anything(), { limit: 5, reverse: true }],
    })
  })

  it('rejects a negative limit', async () => {
    const tx = new FdbKvTransaction(recordingTn().tn, new Set())
    const error: unknown = await tx
      .getRange(new Uint8Array([1]), new Uint8Array([2]), { limit: -1 })
      .catch((e: unknown) => e)
    expect(isSyncError(error, 'invalid_request')).toBe(true)
  })
})
