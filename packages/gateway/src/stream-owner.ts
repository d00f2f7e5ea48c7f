import { onTokenExpiry } from './auth/token-expiry.js'
import { formatEvent } from './sse-format.js'
import type { SseStream, SseStreamOwner } from './sse-stream.js'
import type { StreamSessionHandle } from './stream-session.js'
import type { StreamAdmission } from './auth/stream-admission.js'
import type { StreamRouteOptions } from './routes/stream.js'

/**
 * What one open stream holds until it closes: its quota lease, its subscriptions, its
 * token's expiry timer. Its methods are the stream's callbacks, so that an idle stream
 * costs this one object rather than a closure (and a captured scope) per callback.
 */
export class StreamOwner implements SseStreamOwner {
  /** Set right after the stream exists; the stream cannot close sooner. */
  stream: SseStream | undefined
  session: StreamSessionHandle | undefined
  #stopExpiry: (() => void) | undefined

  constructor(
    readonly options: StreamRouteOptions,
    readonly tenant: string,
    readonly subscriptionCount: number,
    readonly admission: StreamAdmission,
  ) {}

  onStalled(): void {
    const { tenant, subscriptionCount: subscriptions } = this
    this.options.logger.warn(
      { tenant, subscriptions, timeoutMs: this.options.stalledStreamTimeoutMs },
      'stream ended: the client stopped reading',
    )
  }

  onClose(): void {
    this.#stopExpiry?.()
    this.admission.release()
    this.session?.release()
    if (this.stream !== undefined) this.options.streams.delete(this.stream)
    this.options.metrics.openStreams.dec()
    this.options.logger.debug({ tenant: this.tenant }, 'stream closed')
  }

  /**
   * The stream carries the token's rights only as long as the token lives: at its expiry
   * the stream ends with `token_expired` (at once if it has passed). Arm it last: an
   * already expired token ends the stream, releasing everything else. A stream without a
   * token (an open gateway) gets no timer.
   */
  armExpiry(): void {
    if (this.admission.expiresAtMs === undefined) return
    this.#stopExpiry = onTokenExpiry(this.admission.expiresAtMs, () => this.#expire())
  }

  #expire(): void {
    this.admission.expired()
    this.options.logger.debug({ tenant: this.tenant }, 'stream ended: token expired')
    const data = { code: 'token_expired', message: 'The token expired: reconnect with a new one.' }
    this.stream?.endWith('error', formatEvent('error', JSON.stringify(data)))
  }
}
