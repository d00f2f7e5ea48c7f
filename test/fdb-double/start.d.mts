/** A running fdb-double-server (a libfdb_c test double, not FoundationDB). */
export interface FdbDouble {
  clusterFile: string
  socket: string
  /** FDB_CLUSTER_FILE, LD_LIBRARY_PATH (the double's libfdb_c.so first) and FDB_LIVE_FDB_TARGET=double. */
  env: Record<string, string>
  /** Kills the server and starts a new one on the same socket: an empty cluster. */
  restart(): Promise<void>
  stop(): Promise<void>
}
export const libraryDir: string
export const serverBinary: string
export function buildFdbDouble(): void
export function libraryPath(current?: string): string
export function startFdbDouble(options?: { buggify?: string; dir?: string }): Promise<FdbDouble>
