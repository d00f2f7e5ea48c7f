import http from 'node:http'
import { createParser } from 'eventsource-parser'

/** Options for {@link ResumingSseClientForTesting}. */
export interface ResumingSseClientOptions {
  /**
   * The gateway (or load balancer) for each connection: `attempt` counts every attempt from
   * 0, so a client can go to another gateway on reconnect.
   */
  url: (attempt: number) => string
  tenant: string
  subscriptions: readonly { schema: string; id: string }[]
}

/** The newest state of one record that a client has seen. */
export interface SeenRecord {
  version: string
  value: unknown
}

/**
 * A client that behaves as docs/protocol.md asks (and as react-sync does): one GET stream
 * for its subscriptions; when the stream ends or cannot be opened, it reconnects and resumes
 * with each record's last seen version as `since` (and the epoch it knows). It reconnects at
 * once after an end and retries a refused connection (or refused stream) every 50 ms: how fast a move to
 * another gateway can be. Every `value` is checked: a version that is not newer than the
 * last one seen for its record is kept in `notNewer` (a test expects it empty).
 */
export class ResumingSseClientForTesting {
  /** Newest state per `schema/id`. */
  readonly seen = new Map<string, SeenRecord>()
  /** Every `value` received, in order, with the connection (1, 2, …) it came on. */
  readonly values: { key: string; version: string; connection: number }[] = []
  /** `value` events whose version was not newer than one seen before (must stay empty). */
  readonly notNewer: string[] = []
  /** Streams that were opened (status 200). */
  connections = 0
  /** The connection number of each `synced` received. */
  readonly synced: number[] = []
  readonly #options: ResumingSseClientOptions
  readonly #waiters = new Set<() => void>()
  #epoch: string | undefined
  #attempt = 0
  #request: http.ClientRequest | undefined
  #closed = false
  #lastFailure = 'none'

  constructor(options: ResumingSseClientOptions) {
    this.#options = options
    this.#connect()
  }

  /** Resolves when `condition` holds (re-checked on every event); rejects after `timeoutMs`. */
  until(condition: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
    if (condition()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return
        clearTimeout(timer)
        this.#waiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        this.#waiters.delete(check)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.describe()}`))
      }, timeoutMs)
      this.#waiters.add(check)
    })
  }

  /** True when the client has seen exactly `version` as the newest state of every given record. */
  hasVersions(versions: ReadonlyMap<string, string>): boolean {
    for (const [key, version] of versions) if (this.seen.get(key)?.version !== version) return false
    return true
  }

  describe(): string {
    const seen = [...this.seen].map(([key, s]) => `${key}@${s.version}`).join(', ')
    return `attempts ${this.#attempt}, connections ${this.connections}, last failure: ${this.#lastFailure}, synced on ${this.synced.join(',') || '-'}, seen: ${seen}`
  }

  close(): void {
    this.#closed = true
    this.#request?.destroy()
  }

  [Symbol.dispose](): void {
    this.close()
  }

  #connect(): void {
    if (this.#closed) return
    const { tenant, subscriptions } = this.#options
    // `sub=<schema>/<id>@<since>`, each part percent-encoded on its own (docs/protocol.md).
    const query = subscriptions.map(({ schema, id }) => {
      const since = this.seen.get(`${schema}/${id}`)?.version
      return `sub=${encodeURIComponent(schema)}/${encodeURIComponent(id)}${since === undefined ? '' : `@${since}`}`
    })
    if (this.#epoch !== undefined) query.push(`epoch=${this.#epoch}`)
    const url = `${this.#options.url(this.#attempt++)}/v1/tenants/${encodeURIComponent(tenant)}/stream?${query.join('&')}`
    const request = http.get(url, { headers: { Accept: 'text/event-stream' }, agent: false })
    this.#request = request
    let retried = false
    const retry = (delayMs: number): void => {
      if (retried || this.#closed) return
      retried = true
      setTimeout(() => this.#connect(), delayMs).unref()
    }
    request.once('error', (error) => {
      this.#lastFailure = error.message
      retry(50)
    })
    request.once('response', (res) => {
      if (res.statusCode !== 200) {
        this.#lastFailure = `HTTP ${res.statusCode}`
        res.resume()
        retry(50)
        return
      }
      const connection = ++this.connections
      const parser = createParser({
        onEvent: (message) => this.#onEvent(message.event, message.data, connection),
      })
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => parser.feed(chunk))
      // The stream ended (gateway killed, drained, or cut): resume at once, as after any end;
      // a stream that ended before `synced` (a transient refusal) is retried after a pause.
      const ended = (): void => {
        request.destroy()
        retry(this.synced.includes(connection) ? 0 : 50)
      }
      res.once('end', ended)
      res.once('close', ended)
      res.once('error', ended)
      this.#notify()
    })
  }

  #onEvent(event: string | undefined, data: string, connection: number): void {
    const body = JSON.parse(data) as Record<string, unknown>
    if (event === 'hello') this.#epoch = body['epoch'] as string
    if (event === 'synced') this.synced.push(connection)
    if (event === 'value') {
      const key = `${String(body['schema'])}/${String(body['id'])}`
      const version = body['version'] as string
      const before = this.seen.get(key)?.version
      if (before !== undefined && version <= before)
        this.notNewer.push(`${key}: ${before} → ${version}`)
      this.seen.set(key, { version, value: body['value'] })
      this.values.push({ key, version, connection })
    }
    this.#notify()
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter()
  }
}
