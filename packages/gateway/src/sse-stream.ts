import type { Socket } from 'node:net'
import type { GatewayMetrics } from './metrics.js'
import { formatComment, formatRetry } from './sse-format.js'
import type { ScheduledStream, StreamScheduler, WritePass } from './stream-scheduler.js'
import { socketInode } from './tcp-queues.js'
import type { ValueEvent } from './value-event.js'

/** What every stream of a gateway shares (one object, not one per stream). */
export interface SseStreamConfig {
  metrics: GatewayMetrics
  /** Runs the stream's writes and heartbeats together with every other stream's. */
  scheduler: StreamScheduler
  /**
   * How long the stream may go without its writes draining before it is cut: its socket
   * full (no `'drain'`), or bytes waiting in the kernel that the client does not
   * acknowledge (see {@link SseStream.checkDrain}). A client that stopped reading must not
   * hold its subscriptions and store watches forever.
   */
  stalledTimeoutMs: number
}

/** Who is told when a stream ends. */
export interface SseStreamOwner {
  /** The stream is cut for stalling; `onClose` follows. */
  onStalled(): void
  /** The connection closed, whoever closed it; called once. */
  onClose(): void
}

type QueuedFrame = ValueEvent | { event: string; frame: string | Buffer }

/** Write in chunks of about this many bytes: few syscalls, bounded buffers. */
const CHUNK_BYTES = 64 * 1024

const HEARTBEAT = { event: 'heartbeat', frame: formatComment('hb') }

function ignore(): void {}

/**
 * Prefix of the queue keys of control frames. A value's key is its record key
 * (record-key.ts), which starts with a tenant, and tenants hold no control characters.
 */
const CONTROL = '\u0001'

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache',
  'X-Accel-Buffering': 'no',
  Connection: 'keep-alive',
} as const

/**
 * The writer of one SSE connection, writing to its socket directly once the headers are
 * out (sse-response.ts). It never buffers more than one frame per record: while the socket
 * is full (`write` returned false, waiting for `'drain'`) a newer value for a record
 * replaces the queued one in place (conflation), so a slow reader costs memory in
 * proportion to its subscriptions, not to the rate of change. A client that stops reading
 * altogether is cut after `stalledTimeoutMs`.
 *
 * An idle stream is this object, its socket and a place on the scheduler's heartbeat
 * wheel: no timer, no Node HTTP response object of its own.
 */
export class SseStream implements ScheduledStream {
  readonly #socket: Socket
  readonly #options: SseStreamConfig
  readonly #owner: SseStreamOwner
  /**
   * Insertion-ordered; a record's key keeps its place when its value is replaced. Only
   * while frames wait: an idle stream holds no map.
   */
  #queue: Map<string, QueuedFrame> | undefined
  /**
   * The usual case, one frame waiting (a fan-out's event), without a map allocated and
   * dropped for every stream at every event. Unset whenever {@link #queue} is set.
   */
  #one: QueuedFrame | undefined
  #oneKey: string | undefined
  /** Runs only while the socket is full; cleared by `'drain'`. */
  #stallTimer: NodeJS.Timeout | undefined
  #blocked = false
  #closed = false
  /** The scheduler's mark (stream-scheduler.ts). */
  inNextPass = false
  /** The HTTP status line and headers, until the first write carries them. */
  #head: string | undefined
  /**
   * The socket's inode, to find it in the kernel's connection table: looked up (a readlink)
   * at the first drain check, not per stream opened; null where there is none.
   */
  #inode: number | null | undefined
  /** Bytes the client had acknowledged at the last check, and since when no more came. */
  #acked: number | undefined
  #unackedSince: number | undefined

  /**
   * `retryMs`: this stream's `retry:` hint (jittered per stream, stream-refusal.ts); `head`:
   * the HTTP head, when it is still to be written (sse-response.ts).
   */
  constructor(
    socket: Socket,
    options: SseStreamConfig,
    retryMs: number,
    owner: SseStreamOwner,
    head?: string,
  ) {
    this.#socket = socket
    this.#head = head
    this.#options = options
    this.#owner = owner
    socket.on('close', () => this.#onClose())
    // A write racing a disconnect can emit 'error'; 'close' follows and cleans up.
    // Unhandled, it would crash the process.
    socket.on('error', ignore)
    socket.on('drain', () => {
      if (!this.#blocked) return
      this.#blocked = false
      this.#clearStallTimer()
      this.#options.scheduler.flushSoon(this)
    })
    options.scheduler.add(this)
    this.#enqueue(CONTROL + 'retry', { event: 'retry', frame: formatRetry(retryMs) })
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Frames waiting for the socket (at most one per record plus a few control frames). */
  get pending(): number {
    return this.#queue?.size ?? (this.#one === undefined ? 0 : 1)
  }

  /** Queues a record's value, replacing a queued older value of the same record. */
  sendValue(recordKey: string, event: ValueEvent): void {
    // The record key itself (no string built per event): it never starts with CONTROL.
    const queued =
      this.#queue === undefined ? this.#oneKey === recordKey : this.#queue.has(recordKey)
    if (queued) this.#options.metrics.eventsConflated.inc()
    this.#enqueue(recordKey, event)
  }

  /**
   * Queues a non-value event (`synced`, `error`, a collection's events); `key` dedupes
   * repeats. A `Buffer` frame is written as it is, so one encoding can serve every stream.
   */
  sendControl(key: string, event: string, frame: string | Buffer): void {
    this.#enqueue(CONTROL + key, { event, frame })
  }

  /**
   * The kernel's side of the stall check, called every few seconds with the unacknowledged
   * bytes (`tx_queue` of /proc/net/tcp, by inode) of every socket that has any. Small
   * events never fill the socket: the kernel buffers take megabytes first. What shows a
   * client that stopped reading is that bytes wait in the kernel and the client
   * acknowledges none of them (acknowledged = bytes handed to the kernel − bytes still
   * queued there). After `stalledTimeoutMs` of that the stream is cut. A slow but reading
   * client keeps acknowledging, so it is not cut. A stream whose socket inode is not known yet looks
   * it up only before `lookUpUntil` (`performance.now()` time), else at a later check.
   */
  checkDrain(sendQueues: ReadonlyMap<number, number>, now: number, lookUpUntil = Infinity): void {
    const socket = this.#socket
    if (this.#closed || socket.destroyed) return
    if (this.#inode === undefined) {
      // A syscall per new stream: a monitor tick after thousands of streams opened spreads
      // them over several ticks rather than blocking the loop (and a fan-out) for them all.
      if (performance.now() > lookUpUntil) return
      this.#inode = socketInode(socket) ?? null
    }
    if (this.#inode === null) return
    // Only sockets with bytes waiting are listed (tcp-queues.ts): absent is nothing queued.
    const queued = sendQueues.get(this.#inode) ?? 0
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
    this.#clearQueue()
    this.#options.metrics.eventsSent.inc({ event })
    this.#socket.write(frame)
    this.#endSocket()
    this.#onClose()
  }

  /**
   * Ends the response (the connection closes: that is the end of an SSE response here);
   * the client sees the stream complete and reconnects.
   */
  end(): void {
    if (this.#closed) return
    this.#endSocket()
    this.#onClose()
  }

  /** The scheduler's write pass: everything queued, as one write. */
  flush(pass: WritePass): void {
    if (this.#closed || this.#blocked) return
    if (this.#queue === undefined && this.#head === undefined) {
      const item = this.#one
      if (item === undefined) return
      this.#one = this.#oneKey = undefined
      if (!this.#socket.write(this.#bytesOf(item, pass))) this.#block()
      return
    }
    if (this.#one !== undefined) this.#promote()
    const queue = this.#queue
    if (queue === undefined) return
    while (!this.#closed && !this.#blocked && queue.size > 0) {
      const parts: Buffer[] = []
      let bytes = 0
      if (this.#head !== undefined) {
        parts.push(Buffer.from(this.#head, 'latin1'))
        bytes += parts[0]!.length
        this.#head = undefined
      }
      for (const [key, item] of queue) {
        queue.delete(key)
        const part = this.#bytesOf(item, pass)
        parts.push(part)
        bytes += part.length
        if (bytes >= CHUNK_BYTES) break
      }
      const chunk = parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes)
      if (!this.#socket.write(chunk)) this.#block()
    }
    if (queue.size === 0 && this.#queue === queue) this.#queue = undefined
  }

  /** The heartbeat wheel's visit, once per heartbeat interval. */
  tick(): void {
    // A full socket is not idle; a queued frame will prove liveness soon enough.
    if (this.#blocked || this.#queue !== undefined || this.#one !== undefined) return
    this.#enqueue(CONTROL + 'hb', HEARTBEAT)
  }

  #bytesOf(item: QueuedFrame, pass: WritePass): Buffer {
    if ('bytes' in item) {
      // Shared by every stream subscribed to the record: encoded once per change.
      pass.countValue(item)
      return item.bytes
    }
    pass.count(item.event)
    return typeof item.frame === 'string' ? Buffer.from(item.frame) : item.frame
  }

  #enqueue(key: string, item: QueuedFrame): void {
    if (this.#closed) return
    if (this.#queue === undefined && (this.#one === undefined || this.#oneKey === key)) {
      this.#one = item
      this.#oneKey = key
      this.#options.metrics.notePending(1)
    } else {
      if (this.#one !== undefined) this.#promote()
      const queue = (this.#queue ??= new Map())
      queue.set(key, item)
      this.#options.metrics.notePending(queue.size)
    }
    if (!this.#blocked) this.#options.scheduler.flushSoon(this)
  }

  /** Moves the single waiting frame into a map, where more can join it in order. */
  #promote(): void {
    this.#queue = new Map([[this.#oneKey!, this.#one!]])
    this.#one = this.#oneKey = undefined
  }

  #clearQueue(): void {
    this.#queue = undefined
    this.#one = this.#oneKey = undefined
  }

  /**
   * Our FIN once the queued bytes are out, then the socket is released without waiting for
   * the client's FIN: Node's HTTP server no longer tracks this connection (sse-response.ts),
   * so nothing else would close it behind a client that never closes its side.
   */
  #endSocket(): void {
    this.#socket.destroySoon()
  }

  #block(): void {
    this.#blocked = true
    // Only while the socket is full, which a reading client makes rare: an idle stream
    // has no timer of its own.
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
    this.#owner.onStalled()
    // end() or destroy() would leave the socket in FIN-WAIT-1 behind megabytes of unread
    // bytes for minutes; a reset frees the kernel's buffers at once. The client sees the
    // connection drop and reconnects with `since` like after any error.
    this.#socket.resetAndDestroy()
    this.#onClose()
  }

  #onClose(): void {
    if (this.#closed) return
    this.#closed = true
    this.#clearStallTimer()
    this.#clearQueue()
    this.#options.scheduler.remove(this)
    this.#owner.onClose()
  }
}
