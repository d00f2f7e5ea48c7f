import { SyncError, quoteInput } from './errors.js'

/**
 * The identity of one store's life: 32 lowercase hex characters (16 random bytes), created
 * with the store and kept in it. Versions only compare within one epoch: a store that was
 * reset (or replaced) has a new epoch, and a client that sees another epoch than the one
 * its versions came from must drop them (docs/protocol.md, "Store epoch").
 */
export type Epoch = string

const EPOCH_HEX = /^[0-9a-f]{32}$/

/** True when `value` is an {@link Epoch}. */
export function isEpoch(value: unknown): value is Epoch {
  return typeof value === 'string' && EPOCH_HEX.test(value)
}

/** Throws `invalid_request` unless `value` is an {@link Epoch}. */
export function assertEpoch(value: unknown): asserts value is Epoch {
  if (!isEpoch(value)) {
    throw new SyncError(
      'invalid_request',
      `Invalid epoch ${quoteInput(value)}: expected 32 lowercase hex characters, as the gateway sent it.`,
    )
  }
}
