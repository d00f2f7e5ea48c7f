import type { IncomingMessage } from 'node:http'

/** Wall-clock milliseconds, comparable across the benchmark's processes. */
export const wallClockMs = (): number => performance.timeOrigin + performance.now()

/**
 * Calls `onFrame` with each SSE frame (the text between blank lines) of a stream response,
 * with the wall-clock time its chunk arrived. The benchmarks' clients parse no more than
 * they measure: a frame is handed over as text.
 */
export function onSseFrames(
  res: IncomingMessage,
  onFrame: (frame: string, at: number) => void,
): void {
  let buffer = ''
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    const at = wallClockMs()
    buffer += chunk
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      onFrame(frame, at)
    }
  })
}
