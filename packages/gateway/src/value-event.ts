import type { RecordState } from '@fdb-live/core'
import { formatEvent } from './sse-format.js'
import { eventId } from './record-key.js'

/**
 * One observed state of a record, shared by every stream subscribed to it. The SSE frame
 * is built on first use and then reused: a change is serialised and encoded to UTF-8 once,
 * not once per subscriber, and the same `Buffer` goes to every socket.
 */
export class ValueEvent {
  #frame: string | undefined
  #bytes: Buffer | undefined

  constructor(
    readonly schema: string,
    readonly state: RecordState<unknown>,
    /** `performance.now()` when the watch fire that led to this state was seen; unset for initial reads. */
    readonly firedAt?: number,
  ) {}

  get version(): string {
    return this.state.version
  }

  /** The complete `event: value` frame. */
  get frame(): string {
    this.#frame ??= formatEvent(
      'value',
      JSON.stringify({
        schema: this.schema,
        id: this.state.id,
        version: this.state.version,
        value: this.state.value,
      }),
      eventId(this.schema, this.state.id, this.state.version),
    )
    return this.#frame
  }

  /** {@link frame} in UTF-8, as written to every subscribed socket. Never modify it. */
  get bytes(): Buffer {
    this.#bytes ??= Buffer.from(this.frame)
    return this.#bytes
  }
}
