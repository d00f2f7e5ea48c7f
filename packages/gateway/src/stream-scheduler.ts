import type { GatewayMetrics } from './metrics.js'
import type { ValueEvent } from './value-event.js'

/** What the scheduler drives: one SSE stream ({@link SseStream} in sse-stream.ts). */
export interface ScheduledStream {
  /** Writes everything queued as one socket write; counts what it wrote into `pass`. */
  flush(pass: WritePass): void
  /** Queues a heartbeat unless the stream is busy (called once per heartbeat interval). */
  tick(): void
  /**
   * Whether the stream is in the next write pass already. The scheduler's own mark, kept
   * on the stream: a fan-out schedules thousands of streams in one tick, and a flag and an
   * array cost less per stream than a `Set` of them.
   */
  inNextPass: boolean
}

/**
 * One round of writes: every stream that queued something in the same tick is flushed in
 * one pass, and the pass counts its frames for the metrics once at its end (one counter
 * update per event type, one histogram sample per value event) instead of once per stream.
 */
export class WritePass {
  /** Frames other than values written in this pass, by SSE event type (`synced`, `heartbeat`…). */
  readonly sent = new Map<string, number>()
  /** Value frames written in this pass. */
  valuesSent = 0
  /** Value events written in this pass; each is timed once (fire → first socket). */
  readonly values = new Set<ValueEvent>()
  #lastValue: ValueEvent | undefined

  /** Counts a value frame. */
  countValue(event: ValueEvent): void {
    this.valuesSent += 1
    // A fan-out writes the same event to every stream: skip the set for repeats.
    if (event === this.#lastValue) return
    this.#lastValue = event
    this.values.add(event)
  }

  /** Counts any other frame. */
  count(event: string): void {
    this.sent.set(event, (this.sent.get(event) ?? 0) + 1)
  }
}

/** Slots of the heartbeat wheel: a slot is visited every `heartbeatIntervalMs / SLOTS`. */
const SLOTS = 16

/**
 * Runs the timing of every stream of one gateway, so that a stream costs no timer and no
 * callback of its own:
 *
 * - **writes**: a stream that queues a frame asks for a flush; all streams asking in one
 *   tick are written in a single `setImmediate` pass (the events a fan-out queues for
 *   thousands of sockets leave in one loop, each socket getting one write);
 * - **heartbeats**: a timer wheel of {@link SLOTS} slots. A stream joins the slot after the
 *   previous stream's, and the wheel visits one slot per `heartbeatIntervalMs / SLOTS`, so
 *   each stream is visited once per interval and the heartbeats of many streams are spread
 *   over the interval instead of all firing in one tick (which would stall a fan-out).
 */
export class StreamScheduler {
  readonly #metrics: GatewayMetrics
  #dirty: ScheduledStream[] = []
  #flushScheduled = false
  readonly #slots: Set<ScheduledStream>[] = Array.from({ length: SLOTS }, () => new Set())
  readonly #slotOf = new Map<ScheduledStream, number>()
  #nextSlot = 0
  #visit = 0
  readonly #wheel: NodeJS.Timeout

  constructor(metrics: GatewayMetrics, heartbeatIntervalMs: number) {
    this.#metrics = metrics
    this.#wheel = setInterval(() => this.#turn(), Math.max(1, heartbeatIntervalMs / SLOTS))
    this.#wheel.unref()
  }

  /** Puts a new stream on the heartbeat wheel. */
  add(stream: ScheduledStream): void {
    const slot = this.#nextSlot
    this.#nextSlot = (slot + 1) % SLOTS
    this.#slots[slot]!.add(stream)
    this.#slotOf.set(stream, slot)
  }

  /** Takes a closed stream off the wheel (a pass it is in finds it closed and skips it). */
  remove(stream: ScheduledStream): void {
    const slot = this.#slotOf.get(stream)
    if (slot !== undefined) this.#slots[slot]!.delete(stream)
    this.#slotOf.delete(stream)
  }

  /** Flushes `stream` in this tick's write pass. */
  flushSoon(stream: ScheduledStream): void {
    if (stream.inNextPass) return
    stream.inNextPass = true
    this.#dirty.push(stream)
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    setImmediate(() => this.#runPass())
  }

  /** Stops the wheel (the gateway is closing). */
  close(): void {
    clearInterval(this.#wheel)
  }

  #runPass(): void {
    this.#flushScheduled = false
    const dirty = this.#dirty
    this.#dirty = []
    const pass = new WritePass()
    for (const stream of dirty) {
      // Cleared first: what the flush queues anew (after a 'drain', say) goes to the next pass.
      stream.inNextPass = false
      stream.flush(pass)
    }
    this.#record(pass)
  }

  #record(pass: WritePass): void {
    const metrics = this.#metrics
    if (pass.valuesSent > 0) metrics.eventsSent.inc({ event: 'value' }, pass.valuesSent)
    for (const [event, count] of pass.sent) metrics.eventsSent.inc({ event }, count)
    const now = performance.now()
    for (const event of pass.values) {
      if (event.firedAt !== undefined)
        metrics.fireToWriteSeconds.observe((now - event.firedAt) / 1000)
    }
  }

  #turn(): void {
    const slot = this.#slots[this.#visit]!
    this.#visit = (this.#visit + 1) % SLOTS
    for (const stream of [...slot]) stream.tick()
  }
}
