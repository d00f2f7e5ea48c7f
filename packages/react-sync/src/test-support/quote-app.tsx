import { isSyncError } from '@fdb-live/core'
import { screen } from '@testing-library/react'
import { SyncProvider } from '../provider.js'
import type { SyncClient } from '../sync-client.js'
import { useSyncOne } from '../use-sync-one.js'
import { useSyncStatus } from '../use-sync-status.js'
import { Quote } from './quote.js'

/** What a user sees for one record: `loading`, `error:<code>`, `null` or the quote's text. */
export function QuoteView({ id }: { id: string }) {
  const { data, status, error, syncStatus } = useSyncOne(Quote, id)
  const text =
    status === 'pending'
      ? 'loading'
      : status === 'error'
        ? `error:${isSyncError(error) ? error.code : error.message}`
        : data === null
          ? 'null'
          : data.content
  return (
    <p data-testid={`quote-${id}`} data-sync={syncStatus}>
      {text}
    </p>
  )
}

/** The connection status, as an app would show it. */
export function StatusView() {
  const { status } = useSyncStatus()
  return <p data-testid="status">{status}</p>
}

/** A page with the status and one {@link QuoteView} per id. */
export function QuoteApp({ client, ids }: { client: SyncClient; ids: string[] }) {
  return (
    <SyncProvider gatewayUrl={client.gatewayUrl} tenant={client.tenant} client={client}>
      <StatusView />
      {ids.map((id, i) => (
        <QuoteView key={`${id}-${i}`} id={id} />
      ))}
    </SyncProvider>
  )
}

/** The text shown for a record. */
export const shownForTesting = (id: string): string | null =>
  screen.getByTestId(`quote-${id}`).textContent

/** The record's `syncStatus`, as its element's `data-sync`. */
export const syncShownForTesting = (id: string): string | undefined =>
  screen.getByTestId(`quote-${id}`).dataset['sync']

/** The connection status shown. */
export const statusShownForTesting = (): string | null => screen.getByTestId('status').textContent
