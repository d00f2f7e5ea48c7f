import type { KeyId } from './lmdb-keys.js'

/** One buffered write: a value to set (`undefined` clears the key). */
export interface BufferedWrite {
  value: Buffer | undefined
  /** Where the commit's versionstamp goes in `value` (setVersionstampedValue). */
  stampOffset?: number
}

/**
 * The writes of one transaction attempt, kept so that its own reads see them and so that
 * the commit can apply them. `writes` holds the final state of every key set or cleared
 * one by one; `clearedRanges` the ranges cleared. A `clearRange` drops earlier writes in
 * its range, so at commit the ranges are cleared first and `writes` applied after.
 */
export class WriteBuffer {
  readonly writes = new Map<KeyId, BufferedWrite>()
  readonly clearedRanges: Array<readonly [KeyId, KeyId]> = []
  /** setVersionstampedKey writes: applied last, once the commit's stamp is known. */
  readonly stampedKeys: Array<{ key: Buffer; value: Buffer; offset: number }> = []

  /** True when the attempt wrote nothing (a read-only transaction). */
  get isEmpty(): boolean {
    return (
      this.writes.size === 0 && this.clearedRanges.length === 0 && this.stampedKeys.length === 0
    )
  }

  /**
   * True when a stamped key written by this attempt could fall in `[start, end)`: its
   * final key lies between the key with the stamp bytes all 0x00 and all 0xff.
   */
  mayHoldStampedKey(start: Uint8Array, end: Uint8Array): boolean {
    return this.stampedKeys.some(({ key, offset }) => {
      const low = Buffer.from(key)
      low.fill(0x00, offset, offset + 10)
      const high = Buffer.from(key)
      high.fill(0xff, offset, offset + 10)
      return Buffer.compare(low, end) < 0 && Buffer.compare(high, start) >= 0
    })
  }

  set(id: KeyId, value: Buffer, stampOffset?: number): void {
    this.writes.set(id, stampOffset === undefined ? { value } : { value, stampOffset })
  }

  clear(id: KeyId): void {
    this.writes.set(id, { value: undefined })
  }

  clearRange(start: KeyId, end: KeyId): void {
    if (start >= end) return
    for (const id of this.writes.keys()) {
      if (id >= start && id < end) this.writes.delete(id)
    }
    this.clearedRanges.push([start, end])
  }

  /** True when a range clear covers `id` (and no later write brought it back). */
  isRangeCleared(id: KeyId): boolean {
    return this.clearedRanges.some(([start, end]) => id >= start && id < end)
  }

  /** True when the buffer decides what a read of `id` sees, whatever the database holds. */
  shadows(id: KeyId): boolean {
    return this.writes.has(id) || this.isRangeCleared(id)
  }

  /** Buffered sets (not clears) with `start <= key < end`, in ascending key order. */
  setsIn(start: KeyId, end: KeyId): Array<[KeyId, BufferedWrite]> {
    const found: Array<[KeyId, BufferedWrite]> = []
    for (const entry of this.writes) {
      const [id, write] = entry
      if (write.value !== undefined && id >= start && id < end) found.push(entry)
    }
    return found.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  }
}
