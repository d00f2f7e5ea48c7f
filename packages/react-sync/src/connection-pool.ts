/**
 * Several streams when the subscription set is larger than one stream may carry (the
 * gateway refuses more than its limit, 1,000 by default, with `too_many_subscriptions`).
 * Each record is assigned to one stream and stays there while it is subscribed, so a change
 * to the set reopens only the stream whose records changed. With at most `maxPerStream`
 * records there is exactly one stream, as before.
 */
import { createConnection, type Connection, type ConnectionOptions } from './connection.js'
import { keyOf } from './query-key.js'
import type { SyncStatus } from './sync-status.js'

/** Options for {@link createConnectionPool}. */
export interface ConnectionPoolOptions extends ConnectionOptions {
  /** The most records one stream carries. */
  maxPerStream: number
}

// The pool's status is the worst of its streams'.
const RANK: Record<SyncStatus, number> = {
  live: 0,
  connecting: 1,
  reconnecting: 2,
  offline: 3,
  error: 4,
}

interface Stream {
  readonly connection: Connection
  status: SyncStatus
  lastError: unknown
  /** Records assigned to this stream. */
  records: number
}

/** Creates a pool; like a connection, it is idle until `refresh` finds records. */
export function createConnectionPool(options: ConnectionPoolOptions): Connection {
  const { maxPerStream, ...base } = options
  const slotOf = new Map<string, number>()
  const streams: Stream[] = []
  let reported: { status: SyncStatus; lastError: unknown } | undefined

  const report = (): void => {
    // A stream left without records is idle: it says nothing about the others.
    const busy = streams.filter((s) => s.records > 0)
    const worst = (busy.length > 0 ? busy : streams).reduce((a, b) =>
      RANK[b.status] > RANK[a.status] ? b : a,
    )
    const lastError = streams.find((s) => s.lastError !== undefined)?.lastError
    const next = { status: worst.status, lastError: worst.lastError ?? lastError }
    if (next.status === reported?.status && next.lastError === reported.lastError) return
    reported = next
    options.onStatus(next.status, next.lastError)
  }

  const assign = (): void => {
    const keys = new Set(options.subscriptions().map(keyOf))
    const counts: number[] = streams.map(() => 0)
    for (const [key, slot] of slotOf) {
      if (keys.has(key)) counts[slot] = (counts[slot] ?? 0) + 1
      else slotOf.delete(key)
    }
    for (const key of keys) {
      if (slotOf.has(key)) continue
      let slot = counts.findIndex((n) => n < maxPerStream)
      if (slot < 0) slot = counts.push(0) - 1
      slotOf.set(key, slot)
      counts[slot] = (counts[slot] ?? 0) + 1
    }
    while (streams.length < counts.length) streams.push(createStream(streams.length))
    streams.forEach((stream, slot) => (stream.records = counts[slot] ?? 0))
  }

  const createStream = (slot: number): Stream => {
    const connection = createConnection({
      ...base,
      subscriptions: () => options.subscriptions().filter((s) => slotOf.get(keyOf(s)) === slot),
      onStatus(status, lastError) {
        stream.status = status
        stream.lastError = lastError
        report()
      },
    })
    const stream: Stream = { connection, status: 'connecting', lastError: undefined, records: 0 }
    return stream
  }

  return {
    refresh(reopen) {
      assign()
      for (const { connection } of streams) connection.refresh(reopen)
    },
    close() {
      for (const { connection } of streams) connection.close()
    },
  }
}
