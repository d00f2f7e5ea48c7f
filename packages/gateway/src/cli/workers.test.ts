import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSseForTesting, type SseClientForTesting } from '../test-support/sse-client.js'
import { SOURCE_NODE_ARGS, spawnWriterForTesting } from '../test-support/writer.js'
import { parseWorkers } from './workers.js'

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url))
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fdb-live-workers-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

interface WorkerLog {
  level: number
  msg: string
  pid: number
  worker?: number
}

/** `fdb-live gateway --workers 2` from source, in its own process, as a user starts it. */
async function startWorkers(dataDir: string): Promise<{
  gateway: ChildProcess
  url: string
  exited: Promise<number | null>
  logs: WorkerLog[]
  waitForLog: (match: (log: WorkerLog) => boolean) => Promise<WorkerLog>
}> {
  const gateway = spawn(
    process.execPath,
    [...SOURCE_NODE_ARGS, CLI, 'gateway', '--port=0', `--data-dir=${dataDir}`, '--create'],
    {
      env: { ...process.env, FDB_LIVE_LOG_LEVEL: 'info', FDB_LIVE_WORKERS: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const exited = new Promise<number | null>((resolve) => gateway.once('exit', resolve))
  const logs: WorkerLog[] = []
  const waiters = new Set<() => void>()
  readline.createInterface({ input: gateway.stderr }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as WorkerLog)
    } catch {
      return
    }
    for (const waiter of [...waiters]) waiter()
  })
  const waitForLog = (match: (log: WorkerLog) => boolean): Promise<WorkerLog> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`no such log line; got ${logs.map((l) => l.msg).join(' | ')}`))
      }, 20_000)
      const check = (): void => {
        const found = logs.find(match)
        if (found === undefined) return
        clearTimeout(timer)
        waiters.delete(check)
        resolve(found)
      }
      waiters.add(check)
      check()
    })
  const first = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: gateway.stdout }).once('line', resolve)
    void exited.then(() => reject(new Error('the gateway exited before it listened')))
  })
  expect(first).toMatch(/listening on http:\S+ \(2 workers\)$/)
  return { gateway, url: /listening on (http:\S+)/.exec(first)![1]!, exited, logs, waitForLog }
}

const isGone = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return false
  } catch {
    return true
  }
}

describe('fdb-live gateway --workers', () => {
  it('parses a count or auto', () => {
    expect(parseWorkers('2')).toBe(2)
    expect(parseWorkers('auto')).toBe(os.availableParallelism())
    expect(() => parseWorkers('0')).toThrow(/from 1 to 256/)
    expect(() => parseWorkers('two')).toThrow(/from 1 to 256/)
  })

  it('serves one port from two processes: streams land on both, a write reaches both, a dead worker is replaced, SIGTERM stops all', async () => {
    const dataDir = path.join(dir, 'data')
    const { gateway, url, exited, logs, waitForLog } = await startWorkers(dataDir)
    const streams: SseClientForTesting[] = []
    try {
      const listening = logs.filter((l) => l.msg === 'gateway worker listening')
      expect(new Set(listening.map((l) => l.pid)).size).toBe(2)

      for (let i = 0; i < 8; i++)
        streams.push(await openSseForTesting(`${url}/v1/tenants/acme/stream?sub=quotes/q`))
      await Promise.all(streams.map((s) => s.waitFor((e) => e.event === 'synced')))
      const byWorker = new Map<string, SseClientForTesting[]>()
      for (const s of streams) {
        const worker = String(s.headers['x-fdb-live-worker'])
        byWorker.set(worker, [...(byWorker.get(worker) ?? []), s])
      }
      // The primary hands connections out in turn: both workers hold streams.
      expect(byWorker.size).toBe(2)

      await using writer = await spawnWriterForTesting(dataDir)
      await writer.put('acme', 'quotes', 'q', { text: 'to every worker' })
      await Promise.all(
        streams.map((s) =>
          s.waitFor(
            (e) =>
              e.event === 'value' &&
              (e.data['value'] as { text?: string } | null)?.text === 'to every worker',
          ),
        ),
      )

      // A worker that dies is replaced, with a log line; its streams end (clients resume).
      const [victimId, victimStreams] = [...byWorker.entries()][0]!
      const victim = listening.find((l) => String(l.worker) === victimId)!
      process.kill(victim.pid, 'SIGKILL')
      await Promise.all(victimStreams.map((s) => s.ended))
      await waitForLog((l) => l.msg === 'gateway worker died; starting a new one')
      const replacement = await waitForLog(
        (l) => l.msg === 'gateway worker listening' && l.pid !== victim.pid && l.worker! > 2,
      )
      expect(isGone(victim.pid)).toBe(true)

      const workerPids = [replacement.pid, ...listening.map((l) => l.pid)].filter(
        (pid) => pid !== victim.pid,
      )
      const logsBeforeStop = logs.length
      gateway.kill('SIGTERM')
      // The error lines say which worker did not stop cleanly when the code is not 0.
      const code = await exited
      const errors = logs.slice(logsBeforeStop).filter((l) => l.level >= 50)
      expect({ code, errors }).toEqual({ code: 0, errors: [] })
      for (const pid of workerPids) expect(isGone(pid)).toBe(true)
    } finally {
      for (const s of streams) s.close()
      gateway.kill('SIGKILL')
    }
  })
})
