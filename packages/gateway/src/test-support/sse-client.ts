import http from 'node:http'
import { createParser } from 'eventsource-parser'

/** One parsed SSE event; `data` is JSON-parsed. */
export interface SseEventForTesting {
  event: string
  id: string | undefined
  data: Record<string, unknown>
}

/** Options for {@link openSseForTesting}. */
export interface OpenSseOptions {
  /** POST this JSON body; otherwise GET. */
  body?: unknown
  headers?: Record<string, string>
}

/**
 * A small SSE client over node:http (so that a test can pause reading and make the
 * gateway's socket fill up). Every event is kept; `waitFor` resolves when one matches.
 */
export class SseClientForTesting {
  readonly events: SseEventForTesting[] = []
  readonly comments: string[] = []
  retry: number | undefined
  /** Resolves when the server ends the response (or the connection closes). */
  readonly ended: Promise<void>
  readonly #res: http.IncomingMessage
  readonly #waiters = new Set<() => void>()
  #done = false

  constructor(res: http.IncomingMessage) {
    this.#res = res
    const parser = createParser({
      onEvent: (message) => {
        this.events.push({
          event: message.event ?? 'message',
          id: message.id,
          data: JSON.parse(message.data) as Record<string, unknown>,
        })
        this.#notify()
      },
      onComment: (comment) => {
        this.comments.push(comment.trim())
        this.#notify()
      },
      onRetry: (retry) => {
        this.retry = retry
      },
    })
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => parser.feed(chunk))
    this.ended = new Promise((resolve) => {
      const end = (): void => {
        this.#done = true
        this.#notify()
        resolve()
      }
      res.once('end', end)
      res.once('close', end)
      res.once('error', end)
    })
  }

  get status(): number {
    return this.#res.statusCode ?? 0
  }

  /** This end's TCP port, to find the connection in the kernel's tables. */
  get localPort(): number | undefined {
    return this.#res.socket.localPort
  }

  get headers(): http.IncomingHttpHeaders {
    return this.#res.headers
  }

  /** The `value` events of one record, in order. */
  values(schema: string, id: string): SseEventForTesting[] {
    return this.events.filter(
      (e) => e.event === 'value' && e.data['schema'] === schema && e.data['id'] === id,
    )
  }

  /** Resolves with the first event (already received or future) that matches. */
  async waitFor(
    match: (event: SseEventForTesting) => boolean,
    timeoutMs = 15_000,
  ): Promise<SseEventForTesting> {
    await this.until(() => this.events.some(match), timeoutMs)
    return this.events.find(match)!
  }

  /** Resolves when `condition` holds, re-checked on every event; rejects on timeout or end. */
  until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (condition()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) finish()
        else if (this.#done) finish(new Error(`stream ended first; events: ${this.#describe()}`))
      }
      const timer = setTimeout(
        () => finish(new Error(`timed out after ${timeoutMs} ms; events: ${this.#describe()}`)),
        timeoutMs,
      )
      const finish = (error?: Error): void => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        if (error) reject(error)
        else resolve()
      }
      this.#waiters.add(check)
    })
  }

  /** Stops reading: the gateway's writes back up into the socket buffers. */
  pause(): void {
    this.#res.pause()
  }

  resume(): void {
    this.#res.resume()
  }

  close(): void {
    this.#res.destroy()
  }

  [Symbol.dispose](): void {
    this.close()
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter()
  }

  #describe(): string {
    const tail = this.events
      .slice(-5)
      .map((e) => `${e.event} ${JSON.stringify(e.data)}`.slice(0, 160))
    return `${this.events.length} total; last: ${tail.join(' | ')}`
  }
}

/** Opens a stream (`POST` with `body`, else `GET`) and resolves once the headers arrive. */
export function openSseForTesting(
  url: string,
  options: OpenSseOptions = {},
): Promise<SseClientForTesting> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body)
    const req = http.request(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        Accept: 'text/event-stream',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...options.headers,
      },
      agent: false,
    })
    req.once('response', (res) => resolve(new SseClientForTesting(res)))
    req.once('error', reject)
    req.end(body)
  })
}
