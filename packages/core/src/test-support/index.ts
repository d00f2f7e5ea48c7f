/** Test helpers shared by the packages' suites. Not part of the published API. */
export { fdbTargetForTesting, type FdbTargetForTesting } from './fdb-target.js'
export { runStoreContract, bodyOf } from '../kv/store-contract.js'
export { runRepoContract } from '../repo/repo-contract.js'
