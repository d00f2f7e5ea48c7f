import fs from 'node:fs'
import type { Socket } from 'node:net'

/** One TCP connection of this host, from `/proc/net/tcp` (Linux). */
export interface TcpRow {
  localPort: number
  remotePort: number
  /** The kernel's state code: 0x01 established, 0x04 FIN-WAIT-1, … */
  state: number
  /** Bytes sent or queued but not acknowledged by the peer (`tx_queue`). */
  sendQueue: number
  /** The socket's inode; 0 once no process holds it (an orphaned, closing socket). */
  inode: number
}

/**
 * Every TCP connection of this host (IPv4 and IPv6), read from `/proc/net/tcp{,6}`.
 * `undefined` where there is no such file (not Linux): callers then skip what needs it.
 */
export function readTcpRows(): TcpRow[] | undefined {
  const rows: TcpRow[] = []
  let found = false
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = fs.readFileSync(file, 'latin1')
    } catch {
      continue
    }
    found = true
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length < 10) continue
      rows.push({
        localPort: parseInt(f[1]!.slice(f[1]!.lastIndexOf(':') + 1), 16),
        remotePort: parseInt(f[2]!.slice(f[2]!.lastIndexOf(':') + 1), 16),
        state: parseInt(f[3]!, 16),
        sendQueue: parseInt(f[4]!.slice(0, f[4]!.indexOf(':')), 16),
        inode: Number(f[9]),
      })
    }
  }
  return found ? rows : undefined
}

/** The inode of a socket's file descriptor (Linux), to find its row; `undefined` elsewhere. */
export function socketInode(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd
  if (typeof fd !== 'number' || fd < 0) return undefined
  try {
    const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`))
    return match === null ? undefined : Number(match[1])
  } catch {
    return undefined
  }
}
