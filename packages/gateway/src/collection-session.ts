import { toSyncError, type SyncError, type Version } from '@fdb-live/core'
import type { Logger } from 'pino'
import type { CollectionBatch } from './collection-batch.js'
import type { CollectionHub } from './collection-hub.js'
import { collectionKeyString, whereOnWire } from './collection-key.js'
import { publicError } from './http-errors.js'
import type { GatewayMetrics } from './metrics.js'
import { formatEvent } from './sse-format.js'
import type { SseStream } from './sse-stream.js'
import type { CollectionSubscription } from './subscriptions.js'

/** Options for {@link runCollectionSubscription}. */
export interface CollectionSubscriptionOptions {
  hub: CollectionHub
  stream: SseStream
  tenant: string
  subscription: CollectionSubscription
  metrics: GatewayMetrics
  logger: Logger
  /** Called once, when the initial batch is out (or the subscription failed). */
  started: () => void
}

/**
 * Connects one stream to one shared collection watch:
 *
 *   joining ── initial batch ──► live: every batch newer than `last` (events after it only)
 *      │ batches that arrive while joining wait, then go through the same filter
 *      └─ error ──► failed: one `error` event, nothing more
 *
 * `last` is the version the client has: a batch at or below it is skipped, and only the
 * changes after it are sent, so nothing ever goes back. Collection events are never
 * conflated (each has its own queue key): a `collection-synced` must follow its batch.
 */
export function runCollectionSubscription(options: CollectionSubscriptionOptions): {
  release(): void
} {
  const { hub, stream, tenant, subscription, metrics } = options
  const { schema, where, since } = subscription
  const key = collectionKeyString(tenant, schema, where)
  let last: Version | undefined
  let ready = false
  let failed = false
  let released = false
  let sequence = 0
  const early: CollectionBatch[] = []
  const send = (event: string, frame: Buffer): void =>
    stream.sendControl(`coll:${key}:${sequence++}`, event, frame)

  const deliver = (batch: CollectionBatch): void => {
    if (last !== undefined && batch.version <= last) return
    if (batch.read.reset) send('collection-reset', batch.resetFrame)
    if (batch.read.reset || last === undefined) {
      for (const frame of batch.changeFrames) send('collection-change', frame)
    } else {
      const after = last
      const frames = batch.changeFrames
      batch.read.changes.forEach((change, i) => {
        if (change.version > after) send('collection-change', frames[i]!)
      })
    }
    send('collection-synced', batch.syncedFrame)
    last = batch.version
  }

  const fail = (error: SyncError): void => {
    if (failed || released) return
    failed = true
    handle.release()
    metrics.subscriptions.dec()
    if (error.code === 'internal') {
      options.logger.error(
        { tenant, schema, where, err: error.cause ?? error, message: error.message },
        'collection subscription failed',
      )
    }
    const shown = publicError(error)
    const data = { schema, where: whereOnWire(where), code: shown.code, message: shown.message }
    stream.sendControl(`error:${key}`, 'error', formatEvent('error', JSON.stringify(data)))
  }

  const handle = hub.subscribe({ tenant, schema, where }, since, {
    batch(batch) {
      if (failed || released) return
      if (ready) deliver(batch)
      else early.push(batch)
    },
    fail,
  })
  metrics.subscriptions.inc()

  handle.initial
    .then(
      (initial) => {
        if (failed || released) return
        ready = true
        deliver(initial)
        for (const batch of early.splice(0)) deliver(batch)
      },
      (error: unknown) => fail(toSyncError(error)),
    )
    .finally(options.started)
    .catch((error: unknown) => options.logger.error({ err: error }, 'collection session bug'))

  return {
    release() {
      if (released) return
      released = true
      handle.release()
      if (!failed) metrics.subscriptions.dec()
    },
  }
}
