/**
 * The client swarm of bench/gateway.ts: opens many SSE streams to the gateway from a
 * separate process (so that its memory and CPU are not the gateway's) and reports, over
 * IPC, when every stream has received a given version and at what times.
 */
import http from 'node:http'

export type SwarmRequest =
  | { op: 'open'; url: string; streams: number; body: unknown }
  /** Report once every stream has `version` of `id` (or a newer one). */
  | { op: 'await'; id: string; version: string }
  | { op: 'count' }
  | { op: 'close' }
export type SwarmReply =
  | { op: 'synced'; streams: number }
  | { op: 'arrived'; version: string; arrivals: number[] }
  | { op: 'count'; events: number }

const now = (): number => performance.timeOrigin + performance.now()
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity })

interface Stream {
  latest: Map<string, string>
  arrivedAt: Map<string, number>
  req: http.ClientRequest
}
const streams: Stream[] = []
let events = 0
let waiting: { id: string; version: string } | undefined
let onSynced: (() => void) | undefined
let syncedCount = 0

function check(): void {
  if (waiting === undefined) return
  const { id, version } = waiting
  if (!streams.every((s) => (s.latest.get(id) ?? '') >= version)) return
  waiting = undefined
  const arrivals = streams.map((s) => s.arrivedAt.get(`${id}@${version}`) ?? NaN)
  process.send!({ op: 'arrived', version, arrivals } satisfies SwarmReply)
}

function open(url: string, body: unknown): Stream {
  const payload = JSON.stringify(body)
  const stream: Stream = { latest: new Map(), arrivedAt: new Map(), req: undefined as never }
  const parser = createSseParser({
    onEvent: (message) => {
      if (message.event === 'synced') {
        syncedCount += 1
        onSynced?.()
        return
      }
      if (message.event !== 'value') return
      const t = now()
      events += 1
      const data = JSON.parse(message.data) as { id: string; version: string }
      stream.latest.set(data.id, data.version)
      stream.arrivedAt.set(`${data.id}@${data.version}`, t)
      check()
    },
  })
  stream.req = http.request(url, {
    method: 'POST',
    agent,
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
  })
  stream.req.on('response', (res) => {
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => parser.feed(chunk))
  })
  stream.req.on('error', () => {})
  stream.req.end(payload)
  return stream
}

process.on('message', (message: SwarmRequest) => {
  switch (message.op) {
    case 'open': {
      const target = syncedCount + message.streams
      onSynced = () => {
        if (syncedCount === target)
          process.send!({ op: 'synced', streams: message.streams } satisfies SwarmReply)
      }
      for (let i = 0; i < message.streams; i++) streams.push(open(message.url, message.body))
      return
    }
    case 'await':
      waiting = { id: message.id, version: message.version }
      check()
      return
    case 'count':
      process.send!({ op: 'count', events } satisfies SwarmReply)
      return
    case 'close':
      for (const s of streams) s.req.destroy()
      process.exit(0)
  }
})
process.send!({ ready: true })

/** Just enough SSE parsing for the gateway's frames (`event:` and `data:` lines). */
function createSseParser(callbacks: {
  onEvent: (message: { event: string; data: string }) => void
}): {
  feed(chunk: string): void
} {
  let buffer = ''
  return {
    feed(chunk) {
      buffer += chunk
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let event = 'message'
        let data: string | undefined
        for (const line of frame.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7)
          else if (line.startsWith('data: ')) data = line.slice(6)
        }
        if (data !== undefined) callbacks.onEvent({ event, data })
      }
    },
  }
}
