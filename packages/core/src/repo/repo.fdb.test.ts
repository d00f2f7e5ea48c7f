import { describe } from 'vitest'
import { openStore } from '../open-store.js'
import { runRepoContract } from './repo-contract.js'

const clusterFile = process.env['FDB_CLUSTER_FILE']
if (!clusterFile) {
  console.log(
    'repo (FoundationDB): skipped — FDB_CLUSTER_FILE is not set (no FoundationDB cluster on this machine)',
  )
}

describe.skipIf(!clusterFile)('FoundationDB (needs FDB_CLUSTER_FILE)', () => {
  runRepoContract('FoundationDB', () => openStore({ kind: 'fdb', clusterFile: clusterFile! }))
})
