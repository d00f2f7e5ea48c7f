import type { CollectionChanges, IndexMatch } from '@fdb-live/core'
import { whereOnWire } from './collection-key.js'
import { formatEvent } from './sse-format.js'

/**
 * One read of a collection (a `changesSince` answer), shared by every stream subscribed
 * to it. Its SSE frames are built on first use and reused, so a change is serialised
 * once, not once per subscriber.
 */
export class CollectionBatch {
  #changeFrames: string[] | undefined

  constructor(
    readonly schema: string,
    readonly where: IndexMatch,
    readonly read: CollectionChanges<unknown>,
  ) {}

  get version(): string {
    return this.read.version
  }

  /** The `collection-reset` frame (sent before the members when `read.reset`). */
  get resetFrame(): string {
    return formatEvent(
      'collection-reset',
      JSON.stringify({ schema: this.schema, where: whereOnWire(this.where) }),
    )
  }

  /** One `collection-change` frame per change, in version order. */
  get changeFrames(): readonly string[] {
    this.#changeFrames ??= this.read.changes.map((change) => this.changeFrame(change))
    return this.#changeFrames
  }

  changeFrame(change: { id: string; version: string; value: unknown }): string {
    return formatEvent(
      'collection-change',
      JSON.stringify({
        schema: this.schema,
        where: whereOnWire(this.where),
        id: change.id,
        version: change.version,
        value: change.value,
      }),
    )
  }

  /** The `collection-synced` frame that closes this batch. */
  syncedFrame(version: string = this.version): string {
    return formatEvent(
      'collection-synced',
      JSON.stringify({ schema: this.schema, where: whereOnWire(this.where), version }),
    )
  }
}
