import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { SyncProvider } from '@fdb-live/react-sync'
import { QUOTE_TENANT } from './quote-schema.js'
import { FavoriteQuote } from './favorite-quote.js'
import { ChangeQuoteForm } from './change-quote-form.js'
import { AllQuotes } from './all-quotes.js'
import { ConnectionStatus } from './connection-status.js'
import { getGatewayToken } from './gateway-token.js'

const queryClient = new QueryClient()

/**
 * The gateway is reached through Vite's `/v1` proxy by default, so the page talks to one
 * origin; `VITE_GATEWAY_URL` points it at a gateway elsewhere (which must allow the origin).
 */
const gatewayUrl = import.meta.env.VITE_GATEWAY_URL ?? window.location.origin

/**
 * The page: the seed's LiveView, as React components fed by the gateway's stream. The
 * gateway checks tokens: the page gets short-lived read-only ones from the API server.
 */
export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <SyncProvider
        gatewayUrl={gatewayUrl}
        tenant={QUOTE_TENANT}
        queryClient={queryClient}
        getToken={getGatewayToken}
      >
        <main className="content">
          <h1>My Favorite Quote</h1>
          <FavoriteQuote />
          <ChangeQuoteForm />
          <AllQuotes />
        </main>
        <ConnectionStatus />
      </SyncProvider>
    </QueryClientProvider>
  )
}
