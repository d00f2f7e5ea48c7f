import { describe } from 'vitest'
import { openStore } from '../open-store.js'
import { fdbTargetForTesting } from '../test-support/fdb-target.js'
import { runRepoContract } from './repo-contract.js'

const target = fdbTargetForTesting()
if (!target.clusterFile) console.log(`repo: ${target.label}`)

describe.skipIf(!target.clusterFile)(`Repo on ${target.label}`, () => {
  runRepoContract('FoundationDB', () =>
    openStore({ kind: 'fdb', clusterFile: target.clusterFile! }),
  )
})
