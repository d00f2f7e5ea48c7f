import { createConnectionPool } from './connection-pool.js'
import { canShareAcrossTabs, createCrossTabTransport } from './cross-tab.js'
import type { LeaderConnectionBase } from './cross-tab-leader.js'
import type { GatewayHttp } from './gateway-http.js'
import { resolveShareKey } from './share-key.js'
import type { SyncClientOptions } from './sync-client-types.js'
import type { Transport, TransportHost } from './transport.js'

/**
 * The client's transport: shared across the tabs of one identity (see `share-key.ts`)
 * where the browser allows it, else its own stream.
 */
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
      // The key may need the token (its `sub`), which is async: the transport starts once
      // it is known. Without an identity the tab keeps its own stream.
      const shared = resolveShareKey(options.shareKey, http.tokens).then(
        (key) =>
          key === undefined
            ? ownStream(host, connectionOptions)
            : createCrossTabTransport(host, connectionOptions, crossTabOptions, key),
        () => ownStream(host, connectionOptions),
      )
      return whenReady(shared)
    }
  }
  return ownStream(host, connectionOptions)
}

function ownStream(host: TransportHost, connectionOptions: LeaderConnectionBase): Transport {
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

/** A transport that exists once `created` resolves; refreshes before then are kept. */
function whenReady(created: Promise<Transport>): Transport {
  let transport: Transport | undefined
  let closed = false
  void created.then((t) => {
    if (closed) return t.close()
    transport = t
    t.refresh()
  })
  return {
    refresh: () => transport?.refresh(),
    close() {
      closed = true
      transport?.close()
    },
  }
}
