import type { SseStream } from './sse-stream.js'
import { readSendQueues } from './tcp-queues.js'

/**
 * How long one tick may spend looking up the socket inodes of new streams (a readlink
 * each, ~5 µs): 19,000 streams opened at once would otherwise block the loop ~100 ms at
 * the next tick. The rest are looked up at the following ticks.
 */
const INODE_LOOKUP_MS = 5

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
        const lookUpUntil = now + INODE_LOOKUP_MS
        for (const stream of [...streams]) stream.checkDrain(queues, now, lookUpUntil)
      })
      .finally(() => (reading = false))
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
