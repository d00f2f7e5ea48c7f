import fs from 'node:fs'
import path from 'node:path'
import { counterBytes, readChanges } from './lmdb-change-log.js'
import type { Change } from './lmdb-change-log.js'
import { readCounter } from './lmdb-env.js'
import type { LmdbDatabases } from './lmdb-env.js'
import type { LmdbWatch, WatchRegistry } from './lmdb-watch-registry.js'

/** Name of the file every committer touches, in the data directory. */
export const NOTIFY_FILE = 'commits.notify'

/**
 * Carries "a commit happened" between the processes that share a data directory, and
 * turns the change log into watch fires for this handle.
 *
 * A committer writes a few bytes to `commits.notify`; every handle with active watches
 * has an `fs.watch` (inotify on Linux) on that file and a slow safety poll. Either one
 * runs {@link check}, which reads the change log after this handle's cursor and fires
 * the watches whose keys a newer commit changed. Both handles are unref'd while there
 * are no active watches, so an idle store never keeps the process alive.
 */
export class CommitNotifier {
  private cursor: number
  private readonly fd: number
  private watcher: fs.FSWatcher | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly dataDir: string,
    private readonly dbs: LmdbDatabases,
    private readonly registry: WatchRegistry,
    private readonly pollIntervalMs: number,
  ) {
    this.fd = fs.openSync(
      path.join(dataDir, NOTIFY_FILE),
      fs.constants.O_RDWR | fs.constants.O_CREAT,
    )
    this.cursor = readCounter(dbs)
  }

  /** After this handle committed `commit`: wake the other processes, then check here. */
  committed(commit: number): void {
    try {
      fs.writeSync(this.fd, counterBytes(commit), 0, 8, 0)
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
    const logged = readChanges(this.dbs, baseline, this.cursor)
    if (logged[0] === undefined || logged[0].commit > baseline + 1)
      this.registry.finish(watch, true)
    for (const { commit, change } of logged) fire(this.registry, commit, change)
  }

  /** Tells the notifier how many watches are active (starts, refs or unrefs its handles). */
  setActive(count: number): void {
    if (count > 0 && this.watcher === undefined) this.start()
    if (count > 0) {
      this.watcher?.ref()
      this.timer?.ref()
    } else {
      this.watcher?.unref()
      this.timer?.unref()
    }
  }

  /** Reads the change log after the cursor and fires the watches it concerns. */
  check(): void {
    if (this.watcher === undefined) return
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

  /** Stops watching the file and closes it. */
  close(): void {
    this.watcher?.close()
    if (this.timer !== undefined) clearInterval(this.timer)
    this.watcher = undefined
    fs.closeSync(this.fd)
  }

  private start(): void {
    // Catch up before listening so that commits from before the first watch are skipped.
    this.dbs.root.resetReadTxn()
    this.cursor = Math.max(this.cursor, readCounter(this.dbs))
    const onEvent = (): void => {
      try {
        this.check()
      } catch {
        // A failed check (e.g. the store is closing) is retried by the next event or poll.
      }
    }
    this.watcher = fs.watch(path.join(this.dataDir, NOTIFY_FILE), { persistent: true }, onEvent)
    this.watcher.on('error', () => undefined)
    this.timer = setInterval(onEvent, this.pollIntervalMs)
  }
}

function fire(registry: WatchRegistry, commit: number, change: Change): void {
  for (const id of change.keys) registry.fireKey(id, commit)
  for (const [start, end] of change.ranges) registry.fireRange(start, end, commit)
}
