import type { RecordState } from '@fdb-live/core'
import { formatEvent } from './sse-format.js'
import { eventId } from './record-key.js'

/**
 * One observed state of a record, shared by every stream subscribed to it. The SSE frame
 * is built on first use and then reused: a change is serialised once, not once per
 * subscriber.
 */
export class ValueEvent {
  #frame: string | undefined

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
}
