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
import type { HubSubscription, WatchHub } from './watch-hub.js'

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
  const { hub, stream, tenant, subscriptions, metrics } = options
  const handles: HubSubscription[] = []
  let released = false
  let active = 0
  const collections = options.collections ?? []
  let starting = subscriptions.length + collections.length
  const collectionHandles: Array<{ release(): void }> = []

  const started = (): void => {
    starting -= 1
    if (starting === 0) stream.sendControl('synced', 'synced', formatEvent('synced', '{}'))
  }

  for (const { schema, id, since } of subscriptions) {
    const recordKey = recordKeyString({ tenant, schema, id })
    // The newest version queued on this stream; nothing older or equal is ever sent after it.
    let lastSent: string | undefined
    let ready = false
    let failed = false
    // Changes seen while the initial read is in flight; the newest one wins.
    let early: ValueEvent | undefined

    const send = (event: ValueEvent): void => {
      lastSent = event.version
      stream.sendValue(recordKey, event)
    }
    const fail = (error: SyncError): void => {
      if (failed || released) return
      failed = true
      handle.release()
      active -= 1
      metrics.subscriptions.dec()
      if (error.code === 'internal') {
        options.logger.error(
          { tenant, schema, id, err: error.cause ?? error, message: error.message },
          'subscription failed',
        )
      }
      const shown = publicError(error)
      stream.sendControl(
        `error:${recordKey}`,
        'error',
        formatEvent(
          'error',
          JSON.stringify({ schema, id, code: shown.code, message: shown.message }),
        ),
      )
    }

    const handle = hub.subscribe(
      { tenant, schema, id },
      {
        change(event) {
          if (failed || released) return
          if (!ready) {
            if (early === undefined || event.version > early.version) early = event
          } else if (lastSent === undefined || event.version > lastSent) {
            send(event)
          }
        },
        fail,
      },
    )
    handles.push(handle)
    active += 1
    metrics.subscriptions.inc()

    handle.initial
      .then(
        (initial) => {
          if (failed || released) return
          ready = true
          const first = early !== undefined && early.version > initial.version ? early : initial
          early = undefined
          // Resume: a client that already has this exact version gets nothing for it.
          if (since !== undefined && first.version === since) lastSent = since
          else send(first)
        },
        (error: unknown) => fail(toSyncError(error)),
      )
      .finally(started)
      .catch((error: unknown) => options.logger.error({ err: error }, 'stream session bug'))
  }
  for (const subscription of collections) {
    if (options.collectionHub === undefined) throw new Error('collections need a collectionHub')
    collectionHandles.push(
      runCollectionSubscription({
        hub: options.collectionHub,
        stream,
        tenant,
        subscription,
        metrics,
        logger: options.logger,
        started,
      }),
    )
  }
  if (subscriptions.length + collections.length === 0) {
    starting = 1
    started()
  }

  return {
    release() {
      if (released) return
      released = true
      for (const handle of handles) handle.release()
      for (const handle of collectionHandles) handle.release()
      metrics.subscriptions.dec(active)
      active = 0
    },
  }
}
