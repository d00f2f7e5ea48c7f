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

export type { CollectionSubscription, StreamSubscription } from './subscriptions.js'
export { openStoreInBackground } from './background-store.js'
export type { BackgroundStore, BackgroundStoreOptions } from './background-store.js'

export type { SecurityOptions } from './security.js'
export type { AuthOptions, AuthorizeFn, TokenClaims } from './auth/auth-options.js'
export { GRANTS_CLAIM, tokenGrantsAllow } from './auth/grants.js'
export { TOKEN_COOKIE } from './auth/request-token.js'
export { DEFAULT_LIMITS } from './limits/limit-options.js'
export type { LimitOptions } from './limits/limit-options.js'
export type { AuthorizeKey, RecordKey } from './record-key.js'
