import { toSyncError, type SyncError } from '@fdb-live/core'
import type { Logger } from 'pino'
import type { GatewayMetrics } from './metrics.js'
import { publicError } from './http-errors.js'
import { recordKeyString } from './record-key.js'
import { formatEvent } from './sse-format.js'
import type { SseStream } from './sse-stream.js'
import type { CollectionHub } from './collection-hub.js'
import { runCollectionSubscription } from './collection-session.js'
import type { CollectionSubscription, StreamSubscription } from './subscriptions.js'
import type { ValueEvent } from './value-event.js'
import type { HubSubscription, WatchHub, WatchListener } from './watch-hub.js'

/** Options for {@link runStreamSession}. */
export interface StreamSessionOptions {
  hub: WatchHub
  stream: SseStream
  tenant: string
  subscriptions: readonly StreamSubscription[]
  /** Collection subscriptions (docs/protocol.md, Collections), served by `collectionHub`. */
  collections?: readonly CollectionSubscription[]
  collectionHub?: CollectionHub
  metrics: GatewayMetrics
  logger: Logger
}

/** The session's handle: {@link StreamSessionHandle.release} drops every subscription. */
export interface StreamSessionHandle {
  release(): void
}

/**
 * Connects one SSE stream to the shared watches of its records. Per subscription it sends
 * the initial state (unless it equals `since`), then only strictly newer versions; then one
 * `synced` once every initial state is out; a failed subscription becomes an `error`
 * event while the others go on.
 */
export function runStreamSession(options: StreamSessionOptions): StreamSessionHandle {
  const session = new StreamSession(options)
  session.start()
  return session
}

/**
 * The session of one stream. It and its {@link RecordSubscription}s are objects with
 * methods, not closures: an open stream keeps them for as long as it lives, and a closure
 * per callback (with its captured scope) cost about 1 KB per subscription, which thousands
 * of idle streams multiply.
 */
class StreamSession implements StreamSessionHandle {
  #released = false
  /** Subscriptions that hold a hub subscription and count in the metric. */
  active = 0
  /** Subscriptions whose initial state is not out yet; `synced` follows the last. */
  #starting: number
  readonly #records: RecordSubscription[] = []
  readonly #collections: Array<{ release(): void }> = []

  constructor(readonly options: StreamSessionOptions) {
    this.#starting = options.subscriptions.length + (options.collections?.length ?? 0)
  }

  start(): void {
    const { options } = this
    for (const subscription of options.subscriptions) {
      const record = new RecordSubscription(this, subscription)
      this.#records.push(record)
      record.start()
    }
    for (const subscription of options.collections ?? []) {
      if (options.collectionHub === undefined) throw new Error('collections need a collectionHub')
      this.#collections.push(
        runCollectionSubscription({
          hub: options.collectionHub,
          stream: options.stream,
          tenant: options.tenant,
          subscription,
          metrics: options.metrics,
          logger: options.logger,
          started: () => this.started(),
        }),
      )
    }
    if (this.#starting === 0) {
      this.#starting = 1
      this.started()
    }
  }

  /** One more subscription's initial state is out (or it failed). */
  started(): void {
    this.#starting -= 1
    if (this.#starting === 0) {
      this.options.stream.sendControl('synced', 'synced', formatEvent('synced', '{}'))
    }
  }

  release(): void {
    if (this.#released) return
    this.#released = true
    for (const record of this.#records) record.release()
    for (const handle of this.#collections) handle.release()
    this.options.metrics.subscriptions.dec(this.active)
    this.active = 0
  }
}

/**
 * One record subscription of a stream: the hub's listener, and what it has sent. A change
 * touches this object and the stream only (not the session): a fan-out calls {@link change}
 * once per subscriber, and at 19,000 subscribers each object visited is a cache miss.
 */
class RecordSubscription implements WatchListener {
  readonly #session: StreamSession
  readonly #stream: SseStream
  readonly #subscription: StreamSubscription
  readonly #recordKey: string
  #handle: HubSubscription | undefined
  /** The newest version queued on this stream; nothing older or equal is ever sent after it. */
  #lastSent: string | undefined
  #ready = false
  /** Failed, or released with its session: sends nothing more. */
  #done = false
  /** Changes seen while the initial read is in flight; the newest one wins. */
  #early: ValueEvent | undefined

  constructor(session: StreamSession, subscription: StreamSubscription) {
    this.#session = session
    this.#stream = session.options.stream
    this.#subscription = subscription
    const { schema, id } = subscription
    this.#recordKey = recordKeyString({ tenant: session.options.tenant, schema, id })
  }

  start(): void {
    const session = this.#session
    const { hub, tenant, metrics, logger } = session.options
    const { schema, id } = this.#subscription
    const handle = (this.#handle = hub.subscribe({ tenant, schema, id }, this))
    session.active += 1
    metrics.subscriptions.inc()
    handle.initial
      .then(
        (initial) => this.#initial(initial),
        (error: unknown) => this.fail(toSyncError(error)),
      )
      .finally(() => session.started())
      .catch((error: unknown) => logger.error({ err: error }, 'stream session bug'))
  }

  /** The session ends: stop sending and leave the shared watch. */
  release(): void {
    this.#done = true
    this.#handle?.release()
  }

  change(event: ValueEvent): void {
    if (this.#done) return
    if (!this.#ready) {
      if (this.#early === undefined || event.version > this.#early.version) this.#early = event
    } else if (this.#lastSent === undefined || event.version > this.#lastSent) {
      this.#send(event)
    }
  }

  fail(error: SyncError): void {
    const session = this.#session
    if (this.#done) return
    this.#done = true
    this.#handle?.release()
    session.active -= 1
    const { metrics, logger, stream, tenant } = session.options
    metrics.subscriptions.dec()
    const { schema, id } = this.#subscription
    if (error.code === 'internal') {
      logger.error(
        { tenant, schema, id, err: error.cause ?? error, message: error.message },
        'subscription failed',
      )
    }
    const shown = publicError(error)
    stream.sendControl(
      `error:${this.#recordKey}`,
      'error',
      formatEvent(
        'error',
        JSON.stringify({ schema, id, code: shown.code, message: shown.message }),
      ),
    )
  }

  #initial(initial: ValueEvent): void {
    if (this.#done) return
    this.#ready = true
    const early = this.#early
    const first = early !== undefined && early.version > initial.version ? early : initial
    this.#early = undefined
    // Resume: a client that already has this exact version gets nothing for it.
    const { since } = this.#subscription
    if (since !== undefined && first.version === since) this.#lastSent = since
    else this.#send(first)
  }

  #send(event: ValueEvent): void {
    this.#lastSent = event.version
    this.#stream.sendValue(this.#recordKey, event)
  }
}
