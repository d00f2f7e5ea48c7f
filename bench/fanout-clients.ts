/**
 * A client process of bench/fanout-vs-nchan.ts: holds many SSE streams to one server (the
 * gateway or nchan) and reports, over IPC, when every stream has received round `n` and
 * at what time each did. Several of these run side by side, each with its own local
 * address (127.1.x.y: on Linux all of 127/8 is loopback), so that tens of thousands of
 * connections never run out of ephemeral ports.
 */
import http from 'node:http'
import { roundOf } from './fanout-payload.js'
import { onSseFrames, wallClockMs as now } from './sse-frames.js'

export type ClientsRequest =
  | {
      op: 'open'
      url: string
      streams: number
      /** Ready on the gateway's `synced` event, or (nchan) when the response headers arrive. */
      readyOn: 'synced' | 'headers'
      localAddress: string
      /** Connections being set up at once (the server's listen backlog is finite). */
      concurrency: number
    }
  /** Report once every stream has round `n` (or a later one), or after `timeoutMs`. */
  | { op: 'await'; n: number; timeoutMs: number }
  | { op: 'count' }
  | { op: 'close' }
export type ClientsReply =
  | { op: 'opened'; streams: number; failed: number; ms: number }
  | { op: 'arrived'; n: number; reached: number; lost: number; arrivals: number[] }
  | { op: 'count'; events: number }

interface Stream {
  round: number
  at: number
  ended: boolean
  req: http.ClientRequest
}
const streams: Stream[] = []
let events = 0
/** Streams that closed or failed. */
let ended = 0
let waiting: { n: number; reached: number; timer: NodeJS.Timeout } | undefined

function reply(message: ClientsReply): void {
  process.send!(message)
}

function finishWait(): void {
  if (waiting === undefined) return
  const { n, reached, timer } = waiting
  clearTimeout(timer)
  waiting = undefined
  const arrivals = streams.map((s) => (s.round === n ? s.at : NaN))
  const lost = streams.filter((s) => s.ended && s.round < n).length
  reply({ op: 'arrived', n, reached, lost, arrivals })
}

/** A wait is over when every stream still open has the round: closed ones never will. */
function checkWait(): void {
  if (waiting === undefined) return
  const { n, reached } = waiting
  if (reached + streams.filter((s) => s.ended && s.round < n).length >= streams.length) finishWait()
}

function onRound(stream: Stream, n: number, at: number): void {
  events += 1
  if (n <= stream.round) return
  const before = stream.round
  stream.round = n
  stream.at = at
  if (waiting !== undefined && before < waiting.n && n >= waiting.n) {
    waiting.reached += 1
    // Cheap necessary condition first; checkWait counts exactly.
    if (waiting.reached + ended >= streams.length) checkWait()
  }
}

function open(
  message: Extract<ClientsRequest, { op: 'open' }>,
  onReady: (ok: boolean) => void,
): void {
  const stream: Stream = { round: -1, at: NaN, ended: false, req: undefined as never }
  let ready = false
  const settle = (ok: boolean): void => {
    if (ready) return
    ready = true
    onReady(ok)
  }
  stream.req = http.get(message.url, {
    agent: false,
    localAddress: message.localAddress,
    headers: { Accept: 'text/event-stream' },
  })
  stream.req.on('response', (res) => {
    if (res.statusCode !== 200) {
      settle(false)
      res.resume()
      return
    }
    if (message.readyOn === 'headers') settle(true)
    onSseFrames(res, (frame, at) => {
      if (frame.startsWith('event: synced')) settle(true)
      else {
        const n = roundOf(frame)
        if (n !== undefined) onRound(stream, n, at)
      }
    })
    res.on('close', () => {
      if (!stream.ended) ended += 1
      stream.ended = true
      settle(false)
      checkWait()
    })
  })
  stream.req.on('error', () => {
    if (!stream.ended) ended += 1
    stream.ended = true
    settle(false)
    checkWait()
  })
  streams.push(stream)
}

function openAll(message: Extract<ClientsRequest, { op: 'open' }>): void {
  const started = now()
  let opening = 0
  let done = 0
  let failed = 0
  const next = (): void => {
    if (opening >= message.streams) return
    opening += 1
    open(message, (ok) => {
      done += 1
      if (!ok) failed += 1
      if (done === message.streams)
        reply({ op: 'opened', streams: message.streams, failed, ms: now() - started })
      else next()
    })
  }
  for (let i = 0; i < Math.min(message.concurrency, message.streams); i++) next()
}

process.on('message', (message: ClientsRequest) => {
  switch (message.op) {
    case 'open':
      openAll(message)
      return
    case 'await': {
      const reached = streams.filter((s) => s.round >= message.n).length
      waiting = { n: message.n, reached, timer: setTimeout(finishWait, message.timeoutMs) }
      checkWait()
      return
    }
    case 'count':
      reply({ op: 'count', events })
      return
    case 'close':
      for (const s of streams) s.req.destroy()
      process.exit(0)
  }
})
// The benchmark went away (killed, crashed): do not outlive it holding sockets.
process.on('disconnect', () => process.exit(0))
process.send!({ ready: true })
