import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'
import { openStore } from '../open-store.js'
import { runRepoContract } from './repo-contract.js'

const dir = mkdtempSync(path.join(tmpdir(), 'fdb-live-repo-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

runRepoContract('the embedded LMDB store', () => openStore({ dataDir: dir, create: true }))
