/**
 * The state of a client's connection to the gateway, as shown to users:
 * - `connecting`: no stream has been live yet;
 * - `live`: the stream is open and has sent every record's current value;
 * - `reconnecting`: the stream failed and is retried with backoff (cached data stays);
 * - `offline`: the browser says it is offline;
 * - `error`: the gateway refused the stream request (a 4xx, `lastError` says why); it is
 *   not retried until the set of records changes, and the records' queries get the error.
 */
export type SyncStatus = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'error'
