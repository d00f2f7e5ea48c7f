import type { StoreStatus } from '@fdb-live/core'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * The gateway's Prometheus metrics, in a registry of its own so that several gateways (or
 * an app's own metrics) can live in one process. Served at `GET /metrics`.
 */
export interface GatewayMetrics {
  readonly registry: Registry
  /** SSE streams currently open. */
  readonly openStreams: Gauge
  /**
   * Streams cut because their writes did not drain for `stalledStreamTimeoutMs`: `reason`
   * is `full` (the socket stayed full) or `unacknowledged` (bytes waited in the kernel and
   * the client acknowledged none).
   */
  readonly streamsStalled: Counter<'reason'>
  /** Subscriptions across all open streams (one stream can hold many). */
  readonly subscriptions: Gauge
  /** Store watches currently held: one per (tenant, schema, id), whatever the number of streams. */
  readonly activeWatches: Gauge
  /** Store watches that fired (each is followed by a re-read and a re-arm). */
  readonly watchFires: Counter<'result'>
  /** Watch and re-arm failures by error code (e.g. `too_many_watches`). */
  readonly watchErrors: Counter<'code'>
  /** Frames written to streams, by SSE event type. */
  readonly eventsSent: Counter<'event'>
  /** Value events replaced by a newer one before a slow client read them. */
  readonly eventsConflated: Counter
  /** The largest number of frames any one stream has had queued (bounded by its subscriptions). */
  readonly streamPendingPeak: Gauge
  /** Records a stream's queue length for {@link streamPendingPeak}. */
  notePending(size: number): void
  /**
   * Seconds from a watch firing to the resulting event being written to the sockets: one
   * sample per event per write pass (stream-scheduler.ts), not one per stream.
   */
  readonly fireToWriteSeconds: Histogram
}

/** Options for {@link createGatewayMetrics}. */
export interface GatewayMetricsOptions {
  /** Also collect Node.js process metrics (heap, event loop lag…). @default true */
  processMetrics?: boolean
  /** The store's health details, read at each scrape (`KvStore.status`). */
  storeStatus?: () => StoreStatus | undefined
}

const PREFIX = 'fdb_live_gateway_'

/** Creates the metrics in a fresh {@link Registry}. */
export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const registry = new Registry()
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: PREFIX })
  const registers = [registry]
  let pendingPeak = 0
  const { storeStatus } = options
  new Gauge({
    name: `${PREFIX}store_commit_wakeups_polling`,
    help: "1 while the embedded store cannot watch commits.notify: other processes' changes then arrive only with the safety poll (up to 1 s late).",
    registers,
    collect() {
      this.set(storeStatus?.()?.commitWakeups === 'poll' ? 1 : 0)
    },
  })
  return {
    notePending(size) {
      if (size > pendingPeak) pendingPeak = size
    },
    registry,
    openStreams: new Gauge({ name: `${PREFIX}open_streams`, help: 'Open SSE streams.', registers }),
    streamsStalled: new Counter({
      name: `${PREFIX}streams_stalled_total`,
      help: 'Streams cut because the client stopped reading: its socket stayed full, or it acknowledged none of the bytes waiting in the kernel, past the stall timeout.',
      labelNames: ['reason'],
      registers,
    }),
    subscriptions: new Gauge({
      name: `${PREFIX}subscriptions`,
      help: 'Subscriptions across all open streams.',
      registers,
    }),
    activeWatches: new Gauge({
      name: `${PREFIX}active_watches`,
      help: 'Store watches held (one per subscribed record).',
      registers,
    }),
    watchFires: new Counter({
      name: `${PREFIX}watch_fires_total`,
      help: 'Store watches that fired; result is "changed" when the re-read found a newer version.',
      labelNames: ['result'],
      registers,
    }),
    watchErrors: new Counter({
      name: `${PREFIX}watch_errors_total`,
      help: 'Watch registration or re-arm failures by error code.',
      labelNames: ['code'],
      registers,
    }),
    eventsSent: new Counter({
      name: `${PREFIX}events_sent_total`,
      help: 'SSE frames written to clients, by event type.',
      labelNames: ['event'],
      registers,
    }),
    eventsConflated: new Counter({
      name: `${PREFIX}events_conflated_total`,
      help: 'Value events replaced by a newer version before a slow client read them.',
      registers,
    }),
    streamPendingPeak: new Gauge({
      name: `${PREFIX}stream_pending_events_peak`,
      help: 'The most frames any one stream has had queued at once (bounded by its subscriptions).',
      registers,
      collect() {
        this.set(pendingPeak)
      },
    }),
    fireToWriteSeconds: new Histogram({
      name: `${PREFIX}fire_to_write_seconds`,
      help: 'Time from a store watch firing to the event being written to the client sockets (one sample per event per write pass).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  }
}
