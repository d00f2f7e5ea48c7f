import { useSyncStatus } from '@fdb-live/react-sync'

const LABELS = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  offline: 'offline',
  error: 'refused by the gateway',
} as const

/** A small badge in the corner: is this tab receiving the gateway's stream right now? */
export function ConnectionStatus() {
  const { status } = useSyncStatus()
  return (
    <div
      className={`connection-status connection-status--${status}`}
      data-testid="connection-status"
      data-status={status}
      role="status"
      title="Connection to the fdb-live gateway"
    >
      <span className="connection-status__dot" aria-hidden="true" />
      {LABELS[status]}
    </div>
  )
}
