/**
 * The payload of bench/fanout-vs-nchan.ts, the same for both servers: the gateway's
 * `value` event carries `{schema, id, version, value}` as its data line, and nchan is
 * published that same JSON (with a version string of the same length), so both send a
 * frame of about the same size. Clients find the round number by the `"n":` field.
 */

/** The record written in each round. */
export interface BenchValue {
  n: number
  /** A quote-sized body, so that frames are not unrealistically small. */
  text: string
}

const TEXT = 'I can do this all day. '.repeat(6).trim()

export function benchValue(n: number): BenchValue {
  return { n, text: TEXT }
}

/** What nchan is published: the data line the gateway would send for round `n`. */
export function nchanMessage(n: number): string {
  const version = n.toString(16).padStart(20, '0') // a version is 20 hex digits too
  return JSON.stringify({ schema: 'items', id: 'hot', version, value: benchValue(n) })
}

/** The round number in an SSE frame from either server, or undefined. */
export function roundOf(frame: string): number | undefined {
  const at = frame.indexOf('"n":')
  if (at < 0) return undefined
  const n = Number.parseInt(frame.slice(at + 4, at + 16), 10)
  return Number.isNaN(n) ? undefined : n
}
