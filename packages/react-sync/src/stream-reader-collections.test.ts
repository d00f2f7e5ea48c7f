import { describe, expect, test, vi } from 'vitest'
import { readEventStream, type StreamReaderHandlers } from './stream-reader.js'

function body(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes)
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

const V1 = '00000000000000000001'
const V2 = '00000000000000000002'

describe('readEventStream: collections (docs/protocol.md, "Collections")', () => {
  test('parses reset, change, synced and a collection error, with and without where', async () => {
    const h = handlers()
    await readEventStream(
      body(
        'event: collection-reset\ndata: {"schema":"todos","where":{"byList":"inbox"}}\n\n' +
          `event: collection-change\ndata: {"schema":"todos","where":{"byList":"inbox"},"id":"t1","version":"${V1}","value":{"n":1}}\n\n` +
          `event: collection-change\ndata: {"schema":"quotes","where":null,"id":"q","version":"${V2}","value":null}\n\n` +
          `event: collection-synced\ndata: {"schema":"quotes","where":null,"version":"${V2}"}\n\n` +
          'event: error\ndata: {"schema":"todos","where":{"n":3},"code":"collection_too_large","message":"big"}\n\n',
      ),
      h,
    )
    expect(h.onKeyEvent.mock.calls.map(([event]) => event as unknown)).toEqual([
      { type: 'collection-reset', schema: 'todos', where: { byList: 'inbox' } },
      {
        type: 'collection-change',
        schema: 'todos',
        where: { byList: 'inbox' },
        id: 't1',
        version: V1,
        value: { n: 1 },
      },
      {
        type: 'collection-change',
        schema: 'quotes',
        where: null,
        id: 'q',
        version: V2,
        value: null,
      },
      { type: 'collection-synced', schema: 'quotes', where: null, version: V2 },
      {
        type: 'collection-error',
        schema: 'todos',
        where: { n: 3 },
        code: 'collection_too_large',
        message: 'big',
      },
    ])
  })

  test('a change without a value, or a where with two entries, breaks the protocol', async () => {
    for (const data of [
      `{"schema":"quotes","where":null,"id":"q","version":"${V1}"}`,
      `{"schema":"quotes","where":{"a":1,"b":2},"id":"q","version":"${V1}","value":1}`,
    ]) {
      await expect(
        readEventStream(body(`event: collection-change\ndata: ${data}\n\n`), handlers()),
      ).rejects.toMatchObject({ code: 'internal' })
    }
  })
})
