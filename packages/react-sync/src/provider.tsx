import { QueryClientContext, type QueryClient } from '@tanstack/react-query'
import { useContext, useEffect, useMemo, useRef, type ReactNode } from 'react'
import type { CrossTabOptions } from './cross-tab.js'
import type { GetToken } from './gateway-http.js'
import { SyncContext, type SyncContextValue } from './sync-context.js'
import { createSyncClient, type SyncClient } from './sync-client.js'

/** Props of {@link SyncProvider}. */
export interface SyncProviderProps {
  /** The gateway's base URL, e.g. `https://sync.example.com`. */
  gatewayUrl: string
  /** The tenant whose records the hooks read. */
  tenant: string
  /**
   * The query cache to keep current; mounted by the provider when it is not the surrounding
   * `<QueryClientProvider>`'s (so focus and reconnect refetches work without one).
   * @default the client of the surrounding `<QueryClientProvider>`
   */
  queryClient?: QueryClient | undefined
  /** Returns a bearer token for each request; may change between renders. */
  getToken?: GetToken | undefined
  /** See `SyncClientOptions.shareKey`. @default the token's `sub` */
  shareKey?: string | undefined
  /** See `SyncClientOptions.crossTab`. @default true */
  crossTab?: boolean | CrossTabOptions | undefined
  /** Use this client instead of creating one (its `queryClient` must be set). */
  client?: SyncClient | undefined
  children?: ReactNode
}

/**
 * Provides a {@link SyncClient} to `useSyncOne`, `useSuspenseSyncOne` and `useSyncStatus`.
 * It connects to nothing by itself: the stream opens when the first hook subscribes, and
 * never on the server.
 */
export function SyncProvider(props: SyncProviderProps): ReactNode {
  const { gatewayUrl, tenant, getToken, shareKey, crossTab, client: given, children } = props
  const contextQueryClient = useContext(QueryClientContext)
  const queryClient = props.queryClient ?? given?.queryClient ?? contextQueryClient
  if (queryClient === undefined) {
    throw new Error(
      '<SyncProvider> needs a QueryClient: pass queryClient, or render it inside <QueryClientProvider>.',
    )
  }
  // A client given here without a <QueryClientProvider> would never be mounted, so focus and
  // reconnect refetches would never fire. mount() is reference-counted by TanStack.
  useEffect(() => {
    if (queryClient === contextQueryClient) return undefined
    queryClient.mount()
    return () => queryClient.unmount()
  }, [queryClient, contextQueryClient])

  // The latest getToken, without recreating the client (and its stream) on every render.
  const tokenRef = useRef(getToken)
  useEffect(() => {
    tokenRef.current = getToken
  }, [getToken])

  // Depend on crossTab's parts, not its identity: an inline `crossTab={{ locks }}` is a new
  // object every render and must not close and reopen the stream each time.
  const crossTabOn = typeof crossTab === 'object' ? true : crossTab
  const locks = typeof crossTab === 'object' ? crossTab.locks : undefined
  const Channel = typeof crossTab === 'object' ? crossTab.BroadcastChannel : undefined
  // Whether there is a token at all decides cross-tab sharing (see `share-key.ts`).
  const withToken = getToken !== undefined
  const client = useMemo(
    () =>
      given ??
      createSyncClient({
        gatewayUrl,
        tenant,
        queryClient,
        crossTab: crossTabOn === true ? { locks, BroadcastChannel: Channel } : crossTabOn,
        getToken: withToken ? (options) => tokenRef.current?.(options) : undefined,
        shareKey,
      }),
    [given, gatewayUrl, tenant, queryClient, crossTabOn, locks, Channel, withToken, shareKey],
  )
  // close() is reversible (a later subscribe starts again), so StrictMode's extra
  // unmount/mount cycle is harmless.
  useEffect(() => (given === undefined ? () => client.close() : undefined), [client, given])

  const value = useMemo<SyncContextValue>(() => ({ client, queryClient }), [client, queryClient])
  return <SyncContext.Provider value={value}>{children}</SyncContext.Provider>
}
