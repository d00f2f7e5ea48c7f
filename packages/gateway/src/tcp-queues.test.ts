import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseSendQueues } from './tcp-queues.js'

const hex = (value: number, width: number): string =>
  value.toString(16).toUpperCase().padStart(width, '0')

/** One row as the kernel prints it (net/ipv4/tcp_ipv4.c `get_tcp4_sock`, tcp6 likewise). */
const row = fc
  .record({
    sl: fc.nat(99_999),
    v6: fc.boolean(),
    state: fc.integer({ min: 1, max: 11 }),
    // Mostly empty queues, as on a real host, and some up to the 32-bit column's range.
    txQueue: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xffffffff })),
    rxQueue: fc.nat(0xffff),
    uid: fc.nat(1_000_000),
    timeout: fc.nat(100),
    inode: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 40 })),
  })
  .map((r) => {
    const address = r.v6 ? `${hex(0, 24)}${hex(0x0100007f, 8)}:${hex(8080, 4)}` : '0100007F:1F90'
    const line =
      `${String(r.sl).padStart(4)}: ${address} ${address} ${hex(r.state, 2)} ` +
      `${hex(r.txQueue, 8)}:${hex(r.rxQueue, 8)} 00:00000000 00000000 ` +
      `${String(r.uid).padStart(5)} ${String(r.timeout).padStart(8)} ${r.inode} 1 0000000000000000 20 4 30 10 -1`
    return { ...r, line }
  })

const header =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'

describe('parseSendQueues: the /proc/net/tcp rows the drain monitor reads', () => {
  it('finds the tx_queue of every row that has one, by inode, and nothing else', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), fc.boolean(), (rows, trailingNewline) => {
        const text = [header, ...rows.map((r) => r.line)].join('\n') + (trailingNewline ? '\n' : '')
        const parsed = new Map<number, number>()
        parseSendQueues(text, parsed)
        const expected = new Map<number, number>()
        for (const r of rows) if (r.txQueue > 0 && r.inode > 0) expected.set(r.inode, r.txQueue)
        expect(parsed).toEqual(expected)
      }),
    )
  })

  it('skips rows it cannot read instead of reporting a wrong queue', () => {
    const parsed = new Map<number, number>()
    parseSendQueues(`${header}\n   0: garbage\n   1: a b c ZZ:00 x y z u 77\n`, parsed)
    expect(parsed.size).toBe(0)
  })
})
