import type { CollectionChanges, IndexMatch } from '@fdb-live/core'
import { whereOnWire } from './collection-key.js'
import { formatEvent } from './sse-format.js'

/**
 * One read of a collection (a `changesSince` answer), shared by every stream subscribed
 * to it. Its SSE frames are encoded on first use and the same bytes go to every
 * subscriber, so a change is serialised once, not once per subscriber.
 */
export class CollectionBatch {
  #resetFrame: Buffer | undefined
  #changeFrames: Buffer[] | undefined
  #syncedFrame: Buffer | undefined

  constructor(
    readonly schema: string,
    readonly where: IndexMatch,
    readonly read: CollectionChanges<unknown>,
  ) {}

  get version(): string {
    return this.read.version
  }

  /** The `collection-reset` frame (sent before the members when `read.reset`). */
  get resetFrame(): Buffer {
    this.#resetFrame ??= this.#frame('collection-reset', {})
    return this.#resetFrame
  }

  /** One `collection-change` frame per change of `read.changes`, in the same order. */
  get changeFrames(): readonly Buffer[] {
    this.#changeFrames ??= this.read.changes.map(({ id, version, value }) =>
      this.#frame('collection-change', { id, version, value }),
    )
    return this.#changeFrames
  }

  /** The `collection-synced` frame that closes this batch. */
  get syncedFrame(): Buffer {
    this.#syncedFrame ??= this.#frame('collection-synced', { version: this.version })
    return this.#syncedFrame
  }

  #frame(event: string, fields: object): Buffer {
    const data = { schema: this.schema, where: whereOnWire(this.where), ...fields }
    return Buffer.from(formatEvent(event, JSON.stringify(data)))
  }
}
