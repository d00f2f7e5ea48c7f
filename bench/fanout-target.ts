/**
 * What bench/fanout-vs-nchan.ts measures: a server that holds SSE streams on one channel
 * (one record) and fans each write out to all of them. Two implementations: our gateway
 * (fanout-gateway-target.ts) and nginx + nchan (fanout-nchan-target.ts).
 */
import type { FileLimit } from './proc.js'

export type TargetName = 'gateway' | 'nchan'

export interface FanoutTarget {
  readonly name: TargetName
  /** What clients GET to hold a stream. */
  readonly streamUrl: string
  /** The gateway's stream is armed at its `synced` event; nchan's once its headers arrive. */
  readonly readyOn: 'synced' | 'headers'
  /** nchan's publish endpoint; undefined for the gateway, whose writes are store commits. */
  readonly publishUrl: string | undefined
  /**
   * The gateway's Prometheus endpoint, whose Node.js heap gauges say what its RSS growth
   * is made of (V8's young generation against live objects); undefined for nchan.
   */
  readonly metricsUrl: string | undefined
  /** The processes that serve the streams, whose resident memory is added up. */
  servingPids(): number[]
  stop(): Promise<void>
}

export interface TargetOptions {
  /** Serving processes: nginx `worker_processes`, the gateway's `--workers`. */
  workers: number
  fileLimit: FileLimit
  /** Scratch directory of this run. */
  dir: string
  /** Write a V8 CPU profile of the gateway here (`node --cpu-prof`). */
  cpuProfileDir?: string
}
