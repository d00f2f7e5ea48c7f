import type { ServerResponse } from 'node:http'
import type { GatewayMetrics } from './metrics.js'
import { formatComment, formatRetry } from './sse-format.js'
import { socketInode } from './tcp-queues.js'
import type { ValueEvent } from './value-event.js'

/** Options for {@link SseStream}. */
export interface SseStreamOptions {
  metrics: GatewayMetrics
  heartbeatIntervalMs: number
  retryMs: number
  /**
   * How long the stream may go without its writes draining before it is cut: its socket
   * full (no `'drain'`), or bytes waiting in the kernel that the client does not
   * acknowledge (see {@link SseStream.checkDrain}). A client that stopped reading must not
   * hold its subscriptions and store watches forever.
   */
  stalledTimeoutMs: number
  /** Called when the stream is cut for stalling, just before `onClose`. */
  onStalled: () => void
  /** Called once when the connection closes, whoever closed it. */
  onClose: () => void
}

type QueuedFrame =
  { kind: 'value'; event: ValueEvent } | { kind: 'control'; event: string; frame: string }

/** Write in chunks of about this many characters: few syscalls, bounded buffers. */
const CHUNK_CHARS = 64 * 1024

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache',
  'X-Accel-Buffering': 'no',
  Connection: 'keep-alive',
} as const

/**
 * The writer of one SSE connection. It never buffers more than one frame per record:
 * while the socket is full (`res.write` returned false, waiting for `'drain'`) a newer
 * value for a record replaces the queued one in place (conflation), so a slow reader
 * costs memory in proportion to its subscriptions, not to the rate of change. A client
 * that stops reading altogether is cut after `stalledTimeoutMs` of a full socket.
 */
export class SseStream {
  readonly #res: ServerResponse
  readonly #options: SseStreamOptions
  /** Insertion-ordered; a record's key keeps its place when its value is replaced. */
  readonly #queue = new Map<string, QueuedFrame>()
  readonly #heartbeat: NodeJS.Timeout
  /** Runs while the socket is full; cleared by `'drain'`. */
  #stallTimer: NodeJS.Timeout | undefined
  #blocked = false
  #flushScheduled = false
  #closed = false
  /**
   * The socket's inode, to find it in the kernel's connection table: looked up (a readlink)
   * at the first drain check, not per stream opened; null where there is none.
   */
  #inode: number | null | undefined
  /** Bytes the client had acknowledged at the last check, and since when no more came. */
  #acked: number | undefined
  #unackedSince: number | undefined

  constructor(res: ServerResponse, options: SseStreamOptions) {
    this.#res = res
    this.#options = options
    res.writeHead(200, SSE_HEADERS)
    res.flushHeaders()
    res.socket?.setNoDelay(true)
    res.on('close', () => this.#onClose())
    // A write racing a disconnect can emit 'error' on the response; 'close' follows and
    // cleans up. Unhandled, it would crash the process.
    res.on('error', () => {})
    res.on('drain', () => {
      this.#blocked = false
      this.#clearStallTimer()
      this.#flush()
    })
    this.#heartbeat = setInterval(() => this.#sendHeartbeat(), options.heartbeatIntervalMs)
    this.#heartbeat.unref()
    this.#enqueue('retry', { kind: 'control', event: 'retry', frame: formatRetry(options.retryMs) })
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Frames waiting for the socket (at most one per record plus a few control frames). */
  get pending(): number {
    return this.#queue.size
  }

  /** Queues a record's value, replacing a queued older value of the same record. */
  sendValue(recordKey: string, event: ValueEvent): void {
    const key = `v:${recordKey}`
    if (this.#queue.has(key)) this.#options.metrics.eventsConflated.inc()
    this.#enqueue(key, { kind: 'value', event })
  }

  /** Queues a non-value event (`synced`, `error`); `key` dedupes repeats. */
  sendControl(key: string, event: string, frame: string): void {
    this.#enqueue(`c:${key}`, { kind: 'control', event, frame })
  }

  /**
   * The kernel's side of the stall check, called every few seconds with each socket's
   * unacknowledged bytes (`tx_queue` of /proc/net/tcp, by inode). Small events never fill
   * the socket: the kernel buffers take megabytes first. What shows a client that stopped
   * reading is that bytes wait in the kernel and the client acknowledges none of them
   * (acknowledged = bytes handed to the kernel − bytes still queued there). After
   * `stalledTimeoutMs` of that the stream is cut. A slow but reading client keeps
   * acknowledging, so it is not cut.
   */
  checkDrain(sendQueues: ReadonlyMap<number, number>, now: number): void {
    const socket = this.#res.socket
    if (this.#closed || socket === null) return
    if (this.#inode === undefined) this.#inode = socketInode(socket) ?? null
    const queued = this.#inode === null ? undefined : sendQueues.get(this.#inode)
    if (queued === undefined) return
    const acked = socket.bytesWritten - socket.writableLength - queued
    if (queued === 0 || acked !== this.#acked) {
      this.#acked = acked
      this.#unackedSince = undefined
      return
    }
    this.#unackedSince ??= now
    if (now - this.#unackedSince >= this.#options.stalledTimeoutMs)
      this.#onStalled('unacknowledged')
  }

  /**
   * Ends the response with one last event (e.g. `token_expired`), dropping frames still
   * queued: the client resumes them with `since`.
   */
  endWith(event: string, frame: string): void {
    if (this.#closed) return
    this.#queue.clear()
    this.#options.metrics.eventsSent.inc({ event })
    this.#res.end(frame)
    this.#onClose()
  }

  /** Ends the response; the client sees the stream complete and reconnects. */
  end(): void {
    if (this.#closed) return
    this.#res.end()
    this.#onClose()
  }

  #enqueue(key: string, item: QueuedFrame): void {
    if (this.#closed) return
    this.#queue.set(key, item)
    this.#options.metrics.notePending(this.#queue.size)
    if (!this.#flushScheduled && !this.#blocked) {
      this.#flushScheduled = true
      // Batch everything queued in this tick into one write.
      setImmediate(() => {
        this.#flushScheduled = false
        this.#flush()
      })
    }
  }

  #flush(): void {
    const { metrics } = this.#options
    while (!this.#closed && !this.#blocked && this.#queue.size > 0) {
      let chunk = ''
      const now = performance.now()
      for (const [key, item] of this.#queue) {
        this.#queue.delete(key)
        if (item.kind === 'value') {
          chunk += item.event.frame
          metrics.eventsSent.inc({ event: 'value' })
          const firedAt = item.event.firedAt
          if (firedAt !== undefined) metrics.fireToWriteSeconds.observe((now - firedAt) / 1000)
        } else {
          chunk += item.frame
          metrics.eventsSent.inc({ event: item.event })
        }
        if (chunk.length >= CHUNK_CHARS) break
      }
      if (!this.#res.write(chunk)) this.#block()
    }
  }

  #block(): void {
    this.#blocked = true
    if (this.#stallTimer !== undefined) return
    this.#stallTimer = setTimeout(() => this.#onStalled('full'), this.#options.stalledTimeoutMs)
    this.#stallTimer.unref()
  }

  #clearStallTimer(): void {
    if (this.#stallTimer !== undefined) clearTimeout(this.#stallTimer)
    this.#stallTimer = undefined
  }

  #onStalled(reason: 'full' | 'unacknowledged'): void {
    this.#stallTimer = undefined
    if (this.#closed) return
    this.#options.metrics.streamsStalled.inc({ reason })
    this.#options.onStalled()
    // end() or destroy() would leave the socket in FIN-WAIT-1 behind megabytes of unread
    // bytes for minutes; a reset frees the kernel's buffers at once. The client sees the
    // connection drop and reconnects with `since` like after any error.
    const socket = this.#res.socket
    if (socket !== null) socket.resetAndDestroy()
    else this.#res.destroy()
    this.#onClose()
  }

  #sendHeartbeat(): void {
    // A full socket is not idle; a queued frame will prove liveness soon enough.
    if (this.#blocked || this.#queue.size > 0) return
    this.#enqueue('hb', { kind: 'control', event: 'heartbeat', frame: formatComment('hb') })
  }

  #onClose(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#heartbeat)
    this.#clearStallTimer()
    this.#queue.clear()
    this.#options.onClose()
  }
}
