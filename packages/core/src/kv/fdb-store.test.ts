import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { isSyncError } from '../errors.js'
import { openFdbStore } from './fdb-store.js'

const child = fileURLToPath(new URL('../test-support/open-fdb-child.ts', import.meta.url))

describe('openFdbStore', () => {
  it('fails with fdb_library_missing and says how to install libfdb_c', (ctx) => {
    // In a process without the test double on LD_LIBRARY_PATH: what a machine without
    // FoundationDB's client library sees.
    const out = execFileSync(
      process.execPath,
      ['--conditions=@fdb-live/source', '--import', 'tsx', child],
      {
        cwd: path.dirname(child),
        env: { ...process.env, LD_LIBRARY_PATH: '', FDB_CLUSTER_FILE: '/nonexistent' },
        encoding: 'utf8',
      },
    )
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as {
      opened?: boolean
      code?: string
      message?: string
      hasCause?: boolean
    }
    if (result.opened || result.code !== 'fdb_library_missing') {
      // A real libfdb_c is installed system-wide: the library is not missing here.
      console.log(`fdb-store: library-missing test skipped — a libfdb_c loads without the double`)
      ctx.skip()
    }
    expect(result.code).toBe('fdb_library_missing')
    expect(result.message).toMatch(/libfdb_c\.so/)
    expect(result.message).toMatch(/foundationdb-clients_7\.3\.\d+-1_amd64\.deb/)
    expect(result.message).toMatch(/foundationdb@2\.0\.1/)
    expect(result.hasCause).toBe(true)
  })

  it('rejects maxWatches above FoundationDB’s limit before loading anything', async () => {
    const error: unknown = await openFdbStore({ maxWatches: 2_000_000 }).catch((e: unknown) => e)
    expect(isSyncError(error, 'invalid_config')).toBe(true)
    expect((error as Error).message).toMatch(/maxWatches/)
  })
})
