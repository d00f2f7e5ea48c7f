/**
 * Test helpers for packages that test against a real gateway (`@fdb-live/gateway/test-support`).
 * Not part of the published API.
 */
export {
  startTestGateway as startTestGatewayForTesting,
  fetchMetrics as fetchMetricsForTesting,
} from './start-test-gateway.js'
export type { TestGateway, TestGatewayOptions } from './start-test-gateway.js'
export { SseClientForTesting, openSseForTesting } from './sse-client.js'
export type { OpenSseOptions, SseEventForTesting } from './sse-client.js'
export { spawnWriterForTesting, SOURCE_NODE_ARGS } from './writer.js'
export type { WriterForTesting } from './writer.js'
export type { LikeTally } from './writer-process.js'
export { faultyStoreForTesting } from './faulty-store.js'
export type { FaultyStoreForTesting } from './faulty-store.js'
export { startRestartableGatewayForTesting } from './restartable-gateway.js'
export type { RestartableGatewayForTesting } from './restartable-gateway.js'
export {
  forEachStore,
  storesForTesting,
  storeEnvForTesting,
  freshRootForTesting,
  clusterFileForTesting,
} from './stores.js'
export type { StoreTargetForTesting, StoreUnderTest } from './stores.js'
export { startGatewayProcessForTesting } from './gateway-process.js'
export type { GatewayProcessForTesting } from './gateway-process.js'
export { ResumingSseClientForTesting } from './resuming-sse-client.js'
export type { ResumingSseClientOptions, SeenRecord } from './resuming-sse-client.js'
export {
  signTokenForTesting,
  keyPairForTesting,
  bearerForTesting,
  TEST_SECRET_FOR_TESTING,
} from './tokens.js'
export type { SignTokenOptions } from './tokens.js'
