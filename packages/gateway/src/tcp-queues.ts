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
 * The unacknowledged bytes (`tx_queue`) of every TCP socket of this host that has any, by
 * inode, read from `/proc/net/tcp{,6}` without blocking the event loop: the kernel builds
 * these files on read, which takes tens of milliseconds with thousands of connections, so
 * the read goes to libuv's thread pool, and the parse ({@link parseSendQueues}) skips the
 * rows with nothing queued, which are nearly all of them. A socket of this host that is
 * not in the map has nothing queued. `undefined` where there is no such file (not Linux).
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

const SPACE = 0x20
const COLON = 0x3a
const ZERO = 0x30

/** Where the next space-separated field of `text` starts, from inside one, before `end`. */
function nextField(text: string, at: number, end: number): number {
  while (at < end && text.charCodeAt(at) !== SPACE) at += 1
  while (at < end && text.charCodeAt(at) === SPACE) at += 1
  return at
}

/**
 * Adds `inode → tx_queue` to `into` for each row of one `/proc/net/tcp` text whose
 * `tx_queue` is not zero (and whose inode is known). A row is
 * `sl local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode …` (fields 0–9).
 *
 * It reads characters in place, with no string or array per row: at 19,000 streams the
 * table has ~40,000 rows (both ends of every loopback connection), and splitting each
 * blocked the event loop for ~40 ms every check, delaying whatever fan-out fell in it.
 */
export function parseSendQueues(text: string, into: Map<number, number>): void {
  let start = text.indexOf('\n') + 1 // skip the header
  while (start > 0 && start < text.length) {
    const newline = text.indexOf('\n', start)
    addRow(text, start, newline === -1 ? text.length : newline, into)
    start = newline + 1
  }
}

/** {@link parseSendQueues} for the row at `text[start, end)`; a row it cannot read is skipped. */
function addRow(text: string, start: number, end: number, into: Map<number, number>): void {
  let i = start
  while (i < end && text.charCodeAt(i) === SPACE) i += 1 // `sl` is right-aligned
  for (let field = 0; field < 4; field++) i = nextField(text, i, end)
  const queueStart = i
  let queue = 0
  for (; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c === COLON) break
    const digit = hexDigit(c)
    if (digit < 0) return
    queue = queue * 16 + digit
  }
  if (queue === 0 || i === queueStart || i === end) return
  for (let field = 4; field < 9; field++) i = nextField(text, i, end)
  const inodeStart = i
  let inode = 0
  for (; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c === SPACE) break
    const digit = c - ZERO
    if (digit < 0 || digit > 9) return
    inode = inode * 10 + digit
  }
  if (i > inodeStart && inode > 0) into.set(inode, queue)
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30 // 0-9
  if (c >= 0x41 && c <= 0x46) return c - 0x37 // A-F
  if (c >= 0x61 && c <= 0x66) return c - 0x57 // a-f
  return -1
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
