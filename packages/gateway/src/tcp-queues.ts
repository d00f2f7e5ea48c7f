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

/**
 * The unacknowledged bytes (`tx_queue`) of every TCP socket of this host, by inode, read
 * from `/proc/net/tcp{,6}` without blocking the event loop: the kernel builds these files
 * on read, which takes hundreds of milliseconds with thousands of connections, so the read
 * goes to libuv's thread pool, and the parse skips everything but two columns.
 * `undefined` where there is no such file (not Linux).
 */
export async function readSendQueues(): Promise<Map<number, number> | undefined> {
  const texts = await Promise.all(
    ['/proc/net/tcp', '/proc/net/tcp6'].map((file) =>
      fs.promises.readFile(file, 'latin1').catch(() => undefined),
    ),
  )
  if (texts.every((text) => text === undefined)) return undefined
  const queues = new Map<number, number>()
  for (const text of texts) if (text !== undefined) parseSendQueues(text, queues)
  return queues
}

/** Adds each row's inode → tx_queue of one `/proc/net/tcp` text to `into` (inode 0 skipped). */
export function parseSendQueues(text: string, into: Map<number, number>): void {
  let at = text.indexOf('\n') + 1 // skip the header
  while (at > 0 && at < text.length) {
    const end = text.indexOf('\n', at)
    const line = text.slice(at, end === -1 ? text.length : end)
    at = end + 1
    // sl local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode …
    const fields = line.trim().split(/ +/, 10)
    if (fields.length < 10) continue
    const inode = Number(fields[9])
    if (inode === 0) continue
    const queue = fields[4]!
    into.set(inode, parseInt(queue.slice(0, queue.indexOf(':')), 16))
  }
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
