import fs from 'node:fs'
import path from 'node:path'
import { counterBytes, readChanges } from './lmdb-change-log.js'
import type { Change } from './lmdb-change-log.js'
import { readCounter } from './lmdb-env.js'
import type { KeyId } from './lmdb-keys.js'
import type { LmdbDatabases } from './lmdb-env.js'
import type { LmdbWatch, WatchRegistry } from './lmdb-watch-registry.js'

/** Name of the file every committer touches, in the data directory. */
export const NOTIFY_FILE = 'commits.notify'

/** How a handle learns of other processes' commits: by file notification, or only by polling. */
export type CommitWakeups = 'notify' | 'poll'

/**
 * Carries "a commit happened" between the processes that share a data directory, and
 * turns the change log into watch fires for this handle.
 *
 *   idle ──first active watch──► notify: fs.watch on commits.notify + the safety poll
 *                                  │  ▲
 *   fs.watch fails (ENOENT, EMFILE,│  │ the file is there and watchable again
 *   ENOSPC), the file is deleted   ▼  │ (checked on each poll tick and on 'rename')
 *   or replaced                  poll: only the safety poll, a process warning
 *
 * A committer writes a few bytes to `commits.notify` (by path: a file deleted or replaced
 * meanwhile is recreated, never written behind the others' backs). Every handle with active
 * watches has an `fs.watch` (inotify on Linux) on that file and a slow safety poll; either
 * runs {@link check}. The poll also notices a file that was deleted or replaced (its inode
 * changed) and watches the new one. Both handles are unref'd while no watch is active.
 */
export class CommitNotifier {
  private readonly file: string
  private cursor: number
  private started = false
  private watcher: fs.FSWatcher | undefined
  private watchedInode: number | undefined
  private timer: NodeJS.Timeout | undefined
  private active = false
  private mode: CommitWakeups = 'notify'

  constructor(
    dataDir: string,
    private readonly dbs: LmdbDatabases,
    private readonly registry: WatchRegistry,
    private readonly pollIntervalMs: number,
  ) {
    this.file = path.join(dataDir, NOTIFY_FILE)
    fs.closeSync(fs.openSync(this.file, fs.constants.O_RDWR | fs.constants.O_CREAT))
    this.cursor = readCounter(dbs)
  }

  /** `poll` while file notifications do not work (see the diagram). */
  get wakeups(): CommitWakeups {
    return this.mode
  }

  /** After this handle committed `commit`: wake the other processes, then check here. */
  committed(commit: number): void {
    try {
      // By path, so a file deleted or replaced meanwhile is recreated rather than written
      // unseen; without O_TRUNC, which would cost ~100 µs a commit instead of ~3 µs.
      const fd = fs.openSync(this.file, fs.constants.O_WRONLY | fs.constants.O_CREAT)
      try {
        fs.writeSync(fd, counterBytes(commit), 0, 8, 0)
      } finally {
        fs.closeSync(fd)
      }
    } catch {
      // The commit stands; other processes then learn of it from their safety poll.
    }
    this.check()
  }

  /**
   * Activates a watch whose transaction saw the database as of `baseline`, first catching
   * up on commits this handle already processed (they would otherwise be missed).
   */
  activate(watch: LmdbWatch, baseline: number): void {
    this.registry.activate(watch, baseline)
    if (watch.state !== 'active' || baseline >= this.cursor) return
    // Only this watch needs the catch-up: every other active watch was checked against
    // these commits when it was activated or when check() read them. Firing them all
    // again cost a registry lookup per logged key and range for each late activation.
    const logged = readChanges(this.dbs, baseline, this.cursor)
    const trimmed = logged[0] === undefined || logged[0].commit > baseline + 1
    if (trimmed || logged.some(({ change }) => touches(change, watch.id)))
      this.registry.finish(watch, true)
  }

  /** Tells the notifier how many watches are active (starts, refs or unrefs its handles). */
  setActive(count: number): void {
    this.active = count > 0
    if (this.active && !this.started) {
      try {
        this.start()
      } catch {
        // Runs inside a commit's activation: throwing here would fail a committed
        // transaction and strand its watch. The next activation tries again.
        this.started = false
      }
    }
    for (const handle of [this.watcher, this.timer]) {
      if (this.active) handle?.ref()
      else handle?.unref()
    }
  }

  /** Reads the change log after the cursor and fires the watches it concerns. */
  check(): void {
    if (!this.started) return
    // lmdb-js reuses one read snapshot per event-loop turn: ask for the latest one.
    this.dbs.root.resetReadTxn()
    const head = readCounter(this.dbs)
    if (head <= this.cursor) return
    if (this.registry.activeCount > 0) {
      const logged = readChanges(this.dbs, this.cursor, head)
      const oldest = logged[0]?.commit ?? head + 1
      if (oldest > this.cursor + 1) this.registry.fireAllOlderThan(oldest - 1)
      for (const { commit, change } of logged) fire(this.registry, commit, change)
    }
    this.cursor = head
  }

  /** Stops watching the file. */
  close(): void {
    this.started = false
    this.watcher?.close()
    this.watcher = undefined
    if (this.timer !== undefined) clearInterval(this.timer)
  }

  private start(): void {
    // More active watches than the one being activated: an earlier start failed while they
    // were active, so they must still see the commits since the cursor (activate() checks
    // only its own watch against them).
    const behind = this.registry.activeCount > 1
    this.started = true
    if (behind) this.check()
    else {
      // Catch up before listening so that commits from before the first watch are skipped.
      this.dbs.root.resetReadTxn()
      this.cursor = Math.max(this.cursor, readCounter(this.dbs))
    }
    // The poll first: it is the fallback when the file cannot be watched.
    this.timer = setInterval(() => this.wake(true), this.pollIntervalMs)
    this.watchFile()
  }

  private wake(polled: boolean): void {
    try {
      if (polled && !this.watchingCurrentFile()) this.watchFile()
      this.check()
    } catch {
      // A failed check (e.g. the store is closing) is retried by the next event or poll.
    }
  }

  private watchingCurrentFile(): boolean {
    try {
      return this.watcher !== undefined && fs.statSync(this.file).ino === this.watchedInode
    } catch {
      return false
    }
  }

  /** (Re)creates the file if needed and watches it; on failure falls back to polling. */
  private watchFile(): void {
    this.watcher?.close()
    this.watcher = undefined
    try {
      fs.closeSync(fs.openSync(this.file, fs.constants.O_RDWR | fs.constants.O_CREAT))
      const watcher = fs.watch(this.file, { persistent: true }, (event) => {
        // 'rename': the file was deleted or replaced; watch whatever is there now.
        if (event === 'rename') this.watchFile()
        this.wake(false)
      })
      watcher.on('error', (error) => {
        // The next poll tick tries again.
        watcher.close()
        if (this.watcher === watcher) this.watcher = undefined
        this.setMode('poll', error.message)
      })
      if (!this.active) watcher.unref()
      this.watcher = watcher
      this.watchedInode = fs.statSync(this.file).ino
      this.setMode('notify')
    } catch (error) {
      this.setMode('poll', error instanceof Error ? error.message : String(error))
    }
    if (!this.active) this.timer?.unref()
  }

  private setMode(mode: CommitWakeups, reason?: string): void {
    if (mode === this.mode) return
    this.mode = mode
    process.emitWarning(
      mode === 'poll'
        ? `fdb-live: cannot watch ${this.file} (${reason}); watches now learn of other processes' commits only from the ${this.pollIntervalMs} ms safety poll.`
        : `fdb-live: watching ${this.file} again; commits from other processes wake watches at once.`,
      { code: mode === 'poll' ? 'FDB_LIVE_NOTIFY_DEGRADED' : 'FDB_LIVE_NOTIFY_RESTORED' },
    )
  }
}

/** Whether `change` set or cleared `id`, itself or in a cleared range. */
function touches(change: Change, id: KeyId): boolean {
  return change.keys.includes(id) || change.ranges.some(([start, end]) => id >= start && id < end)
}

function fire(registry: WatchRegistry, commit: number, change: Change): void {
  for (const id of change.keys) registry.fireKey(id, commit)
  for (const [start, end] of change.ranges) registry.fireRange(start, end, commit)
}
