import { createConnectionPool } from './connection-pool.js'
import { canShareAcrossTabs, createCrossTabTransport } from './cross-tab.js'
import type { GatewayHttp } from './gateway-http.js'
import type { SyncClientOptions } from './sync-client-types.js'
import type { Transport, TransportHost } from './transport.js'

/** The client's transport: shared across tabs where the browser allows it, else its own stream. */
export function createTransport(
  host: TransportHost,
  http: GatewayHttp,
  options: SyncClientOptions,
): Transport {
  const connectionOptions = {
    http,
    reconnectBaseDelayMs: options.reconnectBaseDelayMs,
    reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 30_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 45_000,
    maxPerStream: options.maxSubscriptionsPerStream ?? 1000,
  }
  const crossTab = options.crossTab ?? true
  if (crossTab !== false) {
    const crossTabOptions = crossTab === true ? {} : crossTab
    if (canShareAcrossTabs(crossTabOptions)) {
      return createCrossTabTransport(host, connectionOptions, crossTabOptions)
    }
  }
  return createConnectionPool({
    ...connectionOptions,
    subscriptions: host.subscriptions,
    epoch: host.epoch,
    onHello: host.hello,
    onEvent: host.deliver,
    onOpened: host.opened,
    onSynced: host.synced,
    onStatus: host.status,
  })
}
