/**
 * What the fan-out benchmark reads from the operating system: a process's resident memory,
 * its children, the load average, and how to start a child with a raised file limit.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'

/** Resident set size (VmRSS) of a process in bytes, from /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]
  if (kib === undefined) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(kib) * 1024
}

/**
 * CPU time (user + system) a process has used so far, in milliseconds, from
 * /proc/<pid>/stat (clock ticks of 10 ms: only good for windows of a second or more).
 */
export function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return 0 // exited
  }
}

/** The pids whose parent is `pid` (the nginx master's workers). */
export function childPids(pid: number): number[] {
  const children: number[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      // Fields after the command name, which is in parentheses and may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) children.push(Number(entry))
    } catch {
      // the process exited while we looked
    }
  }
  return children
}

/** The 1-, 5- and 15-minute load averages, rounded. */
export function loadAverage(): number[] {
  return os.loadavg().map((x) => Math.round(x * 100) / 100)
}

/** The open-file limit a child gets, and the command prefix that gives it that limit. */
export interface FileLimit {
  /** Open files each benchmark process may hold. */
  nofile: number
  /** Prepend to a child's command line (`prlimit --nofile=N:N --`), or empty. */
  prefix: string[]
  /** How the limit was obtained, for the log and the results. */
  how: string
}

/**
 * Holding 19,000 streams needs more than the usual 1,024 open files in the gateway, nginx
 * and the clients. When the hard limit is too low and we may, we raise both the soft and
 * the hard limit of each child with `prlimit` (util-linux); Node raises its soft limit to
 * the hard one at startup by itself. Otherwise the children keep the hard limit we have,
 * and the caller skips stream counts that do not fit.
 */
export function fileLimit(wanted: number): FileLimit {
  const hard = Number(spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim())
  const current = Number.isFinite(hard) ? hard : 1024
  if (current >= wanted) return { nofile: current, prefix: [], how: `ulimit -Hn is ${current}` }
  const root = process.getuid?.() === 0
  const raise = ['prlimit', `--nofile=${wanted}:${wanted}`, '--']
  // Root without CAP_SYS_RESOURCE (a container) cannot raise the hard limit either.
  if (root && spawnSync(raise[0]!, [...raise.slice(1), 'true']).status === 0) {
    return {
      nofile: wanted,
      prefix: raise,
      how: `prlimit --nofile=${wanted}:${wanted} on each child (root; ulimit -Hn was ${current})`,
    }
  }
  return {
    nofile: current,
    prefix: [],
    how:
      `ulimit -Hn is ${current} and cannot be raised here (${root ? 'root, but prlimit is refused: no CAP_SYS_RESOURCE' : 'not root'}); ` +
      'each child runs at that limit (Node raises its soft limit to the hard one; nginx: worker_rlimit_nofile)',
  }
}
