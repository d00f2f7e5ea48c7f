/**
 * A client process of bench/many-records.ts. Two ways to follow the same records:
 *
 * - `streams`: what fdb-live does, one SSE stream per client with all of its subscriptions;
 *   the pushed value is used as is.
 * - `naive`: one stream per record subscription (as one `EventSource` per record would),
 *   and each change only invalidates: the client refetches the record with GET (one request
 *   in flight per subscription; a change that arrives meanwhile refetches once more, as
 *   TanStack Query's invalidation does).
 *
 * Latency is from the write's start (`t` in the value, same machine clock) to the moment the
 * value is in hand: the SSE frame, or the GET's answer.
 */
import http from 'node:http'
import type { ManyValue } from './many-records-writer.js'
import { onSseFrames, wallClockMs as now } from './sse-frames.js'

export type ManyClientsRequest =
  | {
      op: 'open'
      mode: 'streams' | 'naive'
      base: string
      /** Record numbers per stream (naive: each record of each list is its own connection). */
      streams: number[][]
      localAddress: string
      concurrency: number
    }
  | { op: 'reset' }
  /** How many subscriptions are not at their record's final write yet. */
  | { op: 'check'; lastN: number[] }
  | { op: 'report' }
  | { op: 'close' }
export type ManyClientsReply =
  | { op: 'opened'; connections: number; failed: number; ms: number }
  | { op: 'checked'; behind: number }
  | {
      op: 'report'
      latencyMs: number[]
      events: number
      requests: number
      requestErrors: number
      reordered: number
      /** Intermediate values never seen (allowed: the latest always comes). */
      skipped: number
      ended: number
    }
  | { op: 'reset' }

/** One subscription: a record followed on some connection. */
interface Sub {
  record: number
  last: number
  fetching: boolean
  again: boolean
}
const subs: Sub[] = []
const requests: http.ClientRequest[] = []
let latencyMs: number[] = []
let events = 0
let gets = 0
let getErrors = 0
let reordered = 0
let skipped = 0
let ended = 0
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })

function seen(sub: Sub, value: ManyValue | null, at: number): void {
  if (value === null) return
  if (value.n < sub.last) reordered += 1
  else if (value.n > sub.last) {
    skipped += value.n - sub.last - 1
    sub.last = value.n
    latencyMs.push(at - value.t)
  }
}

function refetch(base: string, sub: Sub): void {
  if (sub.fetching) {
    sub.again = true
    return
  }
  sub.fetching = true
  gets += 1
  http
    .get(`${base}/v1/tenants/bench/records/items/r${sub.record}`, { agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        const at = now()
        if (res.statusCode === 200) seen(sub, (JSON.parse(body) as { value: ManyValue }).value, at)
        else if (res.statusCode !== 404) getErrors += 1
        sub.fetching = false
        if (sub.again) {
          sub.again = false
          refetch(base, sub)
        }
      })
    })
    .on('error', () => {
      getErrors += 1
      sub.fetching = false
    })
}

function openOne(
  message: Extract<ManyClientsRequest, { op: 'open' }>,
  records: number[],
  onReady: (ok: boolean) => void,
): void {
  const mine = records.map((record) => ({ record, last: 0, fetching: false, again: false }))
  subs.push(...mine)
  const byId = new Map(mine.map((sub) => [`r${sub.record}`, sub]))
  const query = records.map((record) => `sub=items/r${record}`).join('&')
  let ready = false
  let synced = false
  const settle = (ok: boolean): void => {
    if (!ready) onReady(ok)
    ready = true
  }
  const req = http.get(`${message.base}/v1/tenants/bench/stream?${query}`, {
    agent: false,
    localAddress: message.localAddress,
    headers: { Accept: 'text/event-stream' },
  })
  requests.push(req)
  req.on('response', (res) => {
    if (res.statusCode !== 200) return settle(false)
    onSseFrames(res, (frame, at) => {
      if (frame.includes('event: synced')) {
        synced = true
        settle(true)
      } else if (frame.includes('event: value')) {
        const data = /^data: (.*)$/m.exec(frame)?.[1]
        if (data === undefined) return
        const event = JSON.parse(data) as { id: string; value: ManyValue | null }
        const sub = byId.get(event.id)
        if (sub === undefined || !synced) return
        events += 1
        if (message.mode === 'streams') seen(sub, event.value, at)
        else refetch(message.base, sub)
      }
    })
    res.on('close', () => {
      ended += 1
      settle(false)
    })
  })
  req.on('error', () => {
    ended += 1
    settle(false)
  })
}

function openAll(message: Extract<ManyClientsRequest, { op: 'open' }>): void {
  const lists =
    message.mode === 'streams' ? message.streams : message.streams.flat().map((r) => [r])
  const started = now()
  let next = 0
  let done = 0
  let failed = 0
  const go = (): void => {
    const records = lists[next++]
    if (records === undefined) return
    openOne(message, records, (ok) => {
      done += 1
      if (!ok) failed += 1
      if (done === lists.length)
        reply({ op: 'opened', connections: lists.length, failed, ms: now() - started })
      else go()
    })
  }
  for (let i = 0; i < Math.min(message.concurrency, lists.length); i++) go()
}

function reply(message: ManyClientsReply): void {
  process.send!(message)
}

process.on('message', (message: ManyClientsRequest) => {
  switch (message.op) {
    case 'open':
      return openAll(message)
    case 'reset':
      latencyMs = []
      events = gets = getErrors = reordered = skipped = 0
      return reply({ op: 'reset' })
    case 'check':
      return reply({
        op: 'checked',
        behind: subs.filter((sub) => sub.last < (message.lastN[sub.record] ?? 0)).length,
      })
    case 'report':
      return reply({
        op: 'report',
        latencyMs,
        events,
        requests: gets,
        requestErrors: getErrors,
        reordered,
        skipped,
        ended,
      })
    case 'close':
      for (const req of requests) req.destroy()
      agent.destroy()
      process.exit(0)
  }
})
process.on('disconnect', () => process.exit(0))
process.send!({ ready: true })
