import { QueryClient } from '@tanstack/react-query'
import { createSyncClient, type SyncClient, type SyncClientOptions } from '../sync-client.js'

/**
 * A sync client for a test gateway, tuned for tests: a short linger, quick reconnects, no
 * cross-tab sharing and a fresh QueryClient unless `options` say otherwise.
 */
export function createTestClientForTesting(
  gatewayUrl: string,
  options: Partial<SyncClientOptions> = {},
): SyncClient {
  return createSyncClient({
    gatewayUrl,
    tenant: 'acme',
    queryClient: new QueryClient(),
    lingerMs: 50,
    reconnectBaseDelayMs: 20,
    reconnectMaxDelayMs: 200,
    crossTab: false,
    ...options,
  })
}
