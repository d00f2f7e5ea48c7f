import { describe, expect, test, vi } from 'vitest'
import { readEventStream, type StreamReaderHandlers } from './stream-reader.js'

function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk))
      controller.close()
    },
  })
}

function handlers() {
  return {
    onKeyEvent: vi.fn(),
    onSynced: vi.fn(),
    onHello: vi.fn(),
    onRetry: vi.fn(),
    onActivity: vi.fn(),
  } satisfies StreamReaderHandlers
}

describe('readEventStream', () => {
  test('parses the protocol events, even when split across chunks', async () => {
    const h = handlers()
    const value =
      'event: value\nid: quotes/a@00000000000000000001\n' +
      'data: {"schema":"quotes","id":"a","version":"00000000000000000001","value":{"n":1}}\n\n'
    const text =
      'retry: 2000\n\n' +
      'event: hello\ndata: {"epoch":"0123456789abcdef0123456789abcdef"}\n\n' +
      value +
      'event: value\ndata: {"schema":"quotes","id":"gone","version":"00000000000000000002","value":null}\n\n' +
      'event: synced\ndata: {}\n\n: hb\n\n' +
      'event: error\ndata: {"schema":"quotes","id":"b","code":"too_many_watches","message":"full"}\n\n' +
      'event: future-thing\ndata: {}\n\n'
    await readEventStream(body([text.slice(0, 37), text.slice(37, 120), text.slice(120)]), h)

    expect(h.onRetry).toHaveBeenCalledWith(2000)
    expect(h.onHello).toHaveBeenCalledWith('0123456789abcdef0123456789abcdef')
    expect(h.onKeyEvent.mock.calls.map(([e]) => e as unknown)).toEqual([
      {
        type: 'value',
        schema: 'quotes',
        id: 'a',
        version: '00000000000000000001',
        value: { n: 1 },
      },
      { type: 'value', schema: 'quotes', id: 'gone', version: '00000000000000000002', value: null },
      { type: 'error', schema: 'quotes', id: 'b', code: 'too_many_watches', message: 'full' },
    ])
    expect(h.onSynced).toHaveBeenCalledTimes(1)
    expect(h.onActivity).toHaveBeenCalledTimes(3)
  })

  test('a malformed event fails the stream (so the client reconnects)', async () => {
    const h = handlers()
    await expect(
      readEventStream(body(['event: value\ndata: {"schema":1}\n\n']), h),
    ).rejects.toThrow(/malformed "value" event/)
  })

  test("an error event without schema and id (a transient refusal) fails the stream with the gateway's error", async () => {
    const h = handlers()
    await expect(
      readEventStream(
        body([
          'retry: 1500\n\nevent: error\ndata: {"code":"store_unavailable","message":"shutting down"}\n\n',
        ]),
        h,
      ),
    ).rejects.toMatchObject({ code: 'store_unavailable', message: 'shutting down' })
    expect(h.onKeyEvent).not.toHaveBeenCalled()
  })
})
