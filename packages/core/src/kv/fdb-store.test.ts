import { describe, expect, it } from 'vitest'
import { isSyncError } from '../errors.js'
import { openFdbStore } from './fdb-store.js'

// Only meaningful where the client library is absent (as on the CI machine); where
// libfdb_c is installed, opening succeeds and fdb-store.fdb.test.ts covers the store.
const bindingLoads = await import('foundationdb').then(
  () => true,
  () => false,
)
if (bindingLoads) console.log('fdb-store: library-missing test skipped — libfdb_c loads here')

describe('openFdbStore', () => {
  it.skipIf(bindingLoads)(
    'fails with fdb_library_missing and says how to install libfdb_c',
    async () => {
      const error: unknown = await openFdbStore({}).catch((e: unknown) => e)
      expect(isSyncError(error, 'fdb_library_missing')).toBe(true)
      const message = (error as Error).message
      expect(message).toMatch(/libfdb_c\.so/)
      expect(message).toMatch(/foundationdb-clients_7\.3\.\d+-1_amd64\.deb/)
      expect(message).toMatch(/foundationdb@2\.0\.1/)
      expect((error as Error).cause).toBeInstanceOf(Error)
    },
  )

  it('rejects maxWatches above FoundationDB’s limit before loading anything', async () => {
    const error: unknown = await openFdbStore({ maxWatches: 2_000_000 }).catch((e: unknown) => e)
    expect(isSyncError(error, 'invalid_config')).toBe(true)
    expect((error as Error).message).toMatch(/maxWatches/)
  })
})
