export { createGateway, DEFAULT_CORS_ORIGINS } from './create-gateway.js'
export type { Gateway, GatewayOptions } from './create-gateway.js'

export { startGateway } from './server.js'
export type { RunningGateway, StartGatewayOptions } from './server.js'

export { createGatewayMetrics } from './metrics.js'
export type { GatewayMetrics, GatewayMetricsOptions } from './metrics.js'

export { createLogger } from './logger.js'
export type { Logger, LoggerOptions } from './logger.js'

export { WatchHub } from './watch-hub.js'
export type { HubSubscription, WatchHubOptions, WatchListener } from './watch-hub.js'

export type { StreamSubscription } from './subscriptions.js'
export { openStoreInBackground } from './background-store.js'
export type { BackgroundStore, BackgroundStoreOptions } from './background-store.js'
