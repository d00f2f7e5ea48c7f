import type { SseStream } from './sse-stream.js'
import { readSendQueues } from './tcp-queues.js'

/**
 * Every `intervalMs`, reads the kernel's connection table once and lets each open stream
 * check that its client still acknowledges what it is sent ({@link SseStream.checkDrain}).
 * Linux only (`/proc/net/tcp`); elsewhere only a full socket counts as stalled. Returns
 * the function that stops it.
 */
export function startDrainMonitor(streams: ReadonlySet<SseStream>, intervalMs: number): () => void {
  let reading = false // a slow read (many connections) must not overlap the next one
  const timer = setInterval(() => {
    if (streams.size === 0 || reading) return
    reading = true
    void readSendQueues()
      .then((queues) => {
        if (queues === undefined) return
        const now = performance.now()
        for (const stream of [...streams]) stream.checkDrain(queues, now)
      })
      .finally(() => (reading = false))
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
