import type { SseStream } from './sse-stream.js'
import { readTcpRows } from './tcp-queues.js'

/**
 * Every `intervalMs`, reads the kernel's connection table once and lets each open stream
 * check that its client still acknowledges what it is sent ({@link SseStream.checkDrain}).
 * Linux only (`/proc/net/tcp`); elsewhere only a full socket counts as stalled. Returns
 * the function that stops it.
 */
export function startDrainMonitor(streams: ReadonlySet<SseStream>, intervalMs: number): () => void {
  const timer = setInterval(() => {
    if (streams.size === 0) return
    const rows = readTcpRows()
    if (rows === undefined) return
    const queues = new Map<number, number>()
    for (const row of rows) if (row.inode !== 0) queues.set(row.inode, row.sendQueue)
    const now = performance.now()
    for (const stream of [...streams]) stream.checkDrain(queues, now)
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
