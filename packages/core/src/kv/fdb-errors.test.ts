import { describe, expect, it } from 'vitest'
import { SyncError, isSyncError } from '../errors.js'
import {
  fdbErrorToSyncError,
  fdbFailureToSyncError,
  fdbOpenErrorToSyncError,
} from './fdb-errors.js'

/** The shape of the binding's FDBError: an Error with a numeric code. */
class FakeFdbError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message)
  }
}

const tx = { operation: 'transaction', maxRetries: 100, timeoutMs: 5000 }

describe('fdbErrorToSyncError', () => {
  it.each([
    [1032, 'too_many_watches'],
    [1020, 'transaction_conflict'],
    [1007, 'transaction_timeout'],
    [1031, 'transaction_timeout'],
    [2101, 'value_too_large'],
    [2103, 'value_too_large'],
    [2102, 'invalid_request'],
    [1021, 'store_unavailable'],
    [1009, 'store_unavailable'],
    [1025, 'store_unavailable'],
  ])('maps FoundationDB error %i to %s, keeping the cause', (code, expected) => {
    const cause = new FakeFdbError('boom', code)
    const mapped = fdbErrorToSyncError(cause, tx)
    expect(isSyncError(mapped, expected as SyncError['code'])).toBe(true)
    expect((mapped as SyncError).cause).toBe(cause)
    expect((mapped as SyncError).message).toContain(`error ${code}`)
  })

  it('says how to raise the watch limit', () => {
    const mapped = fdbErrorToSyncError(new FakeFdbError('too_many_watches', 1032), tx)
    expect((mapped as Error).message).toMatch(/max_watches/)
  })

  it('reports cancellation after close as store_closed', () => {
    const mapped = fdbErrorToSyncError(new FakeFdbError('cancelled', 1025), { ...tx, closed: true })
    expect(isSyncError(mapped, 'store_closed')).toBe(true)
  })

  it('passes the caller’s own errors and SyncErrors through unchanged', () => {
    const own = new TypeError('from the body')
    const sync = new SyncError('not_found', 'missing')
    expect(fdbErrorToSyncError(own, tx)).toBe(own)
    expect(fdbErrorToSyncError(sync, tx)).toBe(sync)
  })

  it('always yields a SyncError for watch failures', () => {
    expect(
      isSyncError(
        fdbFailureToSyncError(new Error('odd'), { operation: 'watch' }),
        'store_unavailable',
      ),
    ).toBe(true)
  })

  it('explains a missing cluster file', () => {
    const mapped = fdbOpenErrorToSyncError(
      new FakeFdbError('no_cluster_file_found', 1515),
      '/nope.cluster',
    )
    expect(mapped.code).toBe('invalid_config')
    expect(mapped.message).toMatch(/\/nope\.cluster/)
  })
})
