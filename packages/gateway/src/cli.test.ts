import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, unlinkSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startFdbDouble, type FdbDouble } from '@fdb-live/fdb-double'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSseForTesting } from './test-support/sse-client.js'
import {
  clusterFileForTesting,
  forEachStore,
  freshRootForTesting,
  type StoreUnderTest,
} from './test-support/stores.js'
import { SOURCE_NODE_ARGS } from './test-support/writer.js'

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url))
let dataDir: string

/**
 * The flags that name this suite's store: the embedded store in `dataDir`, or FoundationDB
 * (the cluster of vitest's global setup) under a repo root of this suite's own.
 */
function storeFlagsFor(store: StoreUnderTest): () => string[] {
  if (store.kind === 'embedded') return () => ['--data-dir', dataDir]
  const root = freshRootForTesting()
  return () => ['--store', 'fdb', '--cluster-file', clusterFileForTesting(), '--root', root]
}

beforeAll(async () => {
  dataDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'fdb-live-cli-')), 'data')
})
afterAll(async () => {
  await rm(path.dirname(dataDir), { recursive: true, force: true })
})

/** Starts the CLI from source, as `pnpm fdb-live …` does. */
function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [...SOURCE_NODE_ARGS, CLI, ...args], {
    env: { ...process.env, FDB_LIVE_LOG_LEVEL: 'warn', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

/** Runs the CLI to completion. */
async function runCli(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startCli(args, options.env)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  child.stdin!.end(options.input)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { code, stdout, stderr }
}

function lines(child: ChildProcess): AsyncIterator<string> {
  return readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
}

forEachStore('fdb-live CLI', (store) => {
  const storeFlags = storeFlagsFor(store)

  it('puts (argument and stdin), gets and deletes records', async () => {
    const put = await runCli([
      'put',
      'acme',
      'quotes',
      'q1',
      '{"text":"arg"}',
      '--create',
      ...storeFlags(),
    ])
    expect(put.code).toBe(0)
    const { version: v1 } = JSON.parse(put.stdout) as { version: string }
    const fromStdin = await runCli(['put', 'acme', 'quotes', 'q1', ...storeFlags()], {
      input: '{"text":"stdin"}',
    })
    expect(fromStdin.code).toBe(0)
    const { version: v2 } = JSON.parse(fromStdin.stdout) as { version: string }
    expect(v2 > v1).toBe(true)
    const get = await runCli(['get', 'acme', 'quotes', 'q1', ...storeFlags()])
    expect(JSON.parse(get.stdout)).toEqual({ id: 'q1', version: v2, value: { text: 'stdin' } })
    const del = await runCli(['delete', 'acme', 'quotes', 'q1', ...storeFlags()])
    expect(JSON.parse(del.stdout)).toMatchObject({ id: 'q1', deleted: true })
    const missing = await runCli(['get', 'acme', 'quotes', 'q1', ...storeFlags()])
    expect(missing.code).toBe(1)
    expect(missing.stderr.trim()).toMatch(/^fdb-live: not_found: /)
  })

  it('watch prints the record and every change as JSON lines until Ctrl-C', async () => {
    const watcher = startCli(['watch', 'acme', 'quotes', 'w', ...storeFlags()])
    const output = lines(watcher)
    const first = JSON.parse((await output.next()).value as string) as Record<string, unknown>
    expect(first).toMatchObject({ schema: 'quotes', id: 'w', value: null })
    const put = await runCli(['put', 'acme', 'quotes', 'w', '{"n":1}', ...storeFlags(), '--create'])
    const { version } = JSON.parse(put.stdout) as { version: string }
    const second = JSON.parse((await output.next()).value as string) as Record<string, unknown>
    expect(second).toEqual({ schema: 'quotes', id: 'w', version, value: { n: 1 } })
    watcher.kill('SIGINT')
    expect(await new Promise((resolve) => watcher.once('exit', resolve))).toBe(0)
  })

  it('list prints the members of a collection; watch without an id prints every change', async () => {
    const idx = ['--index', 'byList=listId']
    const put = (id: string, json: string) =>
      runCli(['put', 'coll', 'todos', id, json, ...idx, '--create', ...storeFlags()])
    expect((await put('b', '{"title":"B","listId":"inbox"}')).code).toBe(0)
    await put('a', '{"title":"A","listId":"inbox"}')
    await put('c', '{"title":"C","listId":"work"}')
    const listed = await runCli([
      'list',
      'coll',
      'todos',
      '--where',
      'byList=inbox',
      ...storeFlags(),
    ])
    expect(listed.code).toBe(0)
    const members = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; value: unknown })
    expect(members.map((m) => [m.id, m.value])).toEqual([
      ['a', { title: 'A', listId: 'inbox' }],
      ['b', { title: 'B', listId: 'inbox' }],
    ])
    const all = await runCli(['list', 'coll', 'todos', ...storeFlags()])
    expect(all.stdout.trim().split('\n')).toHaveLength(3)

    const watcher = startCli(['watch', 'coll', 'todos', '--where', 'byList=inbox', ...storeFlags()])
    const output = lines(watcher)
    const next = async () =>
      JSON.parse((await output.next()).value as string) as Record<string, unknown>
    const initial = [await next(), await next()].map((line) => line['id']).sort()
    expect(initial).toEqual(['a', 'b'])
    const moved = await put('a', '{"title":"A","listId":"work"}')
    const { version } = JSON.parse(moved.stdout) as { version: string }
    expect(await next()).toEqual({
      schema: 'todos',
      where: { byList: 'inbox' },
      id: 'a',
      version,
      value: null,
    })
    watcher.kill('SIGINT')
    expect(await new Promise((resolve) => watcher.once('exit', resolve))).toBe(0)
    const bad = await runCli(['list', 'coll', 'todos', '--where', 'inbox', ...storeFlags()])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--where "inbox": write it as <index>=<value>/)
  })

  it('epoch prints the store epoch, and --new replaces it so clients from before a restore drop their versions', async () => {
    const shown = await runCli(['epoch', ...storeFlags(), '--create'])
    expect(shown.code).toBe(0)
    const { epoch } = JSON.parse(shown.stdout) as { epoch: string }
    expect(epoch).toMatch(/^[0-9a-f]{32}$/)
    expect(JSON.parse((await runCli(['epoch', ...storeFlags()])).stdout)).toEqual({ epoch })
    const renewed = JSON.parse((await runCli(['epoch', '--new', ...storeFlags()])).stdout)
    expect(renewed.epoch).toMatch(/^[0-9a-f]{32}$/)
    expect(renewed.epoch).not.toBe(epoch)
    expect(JSON.parse((await runCli(['epoch', ...storeFlags()])).stdout)).toEqual(renewed)
  })

  it('--root keeps the records of two apps on one store apart', async () => {
    const put = await runCli([
      'put',
      'acme',
      'quotes',
      'r',
      '{"app":1}',
      ...storeFlags(),
      '--create',
    ])
    expect(put.code).toBe(0)
    const other = await runCli([
      'get',
      'acme',
      'quotes',
      'r',
      ...storeFlags(),
      '--root',
      'other-app',
    ])
    expect(other.stderr.trim()).toMatch(/^fdb-live: not_found: /)
    const same = await runCli(['get', 'acme', 'quotes', 'r', ...storeFlags()])
    expect(JSON.parse(same.stdout)).toMatchObject({ value: { app: 1 } })
  })

  // Registered for the embedded store only (its name says so), rather than skipped for the other.
  if (store.kind === 'embedded')
    it('refuses to write to a data directory without a store unless --create: a moved store is not silently replaced (embedded store only: data directories)', async () => {
      const moved = path.join(path.dirname(dataDir), 'moved-away')
      const put = await runCli([
        'put',
        'acme',
        'quotes',
        'q',
        '{"text":"lost"}',
        '--data-dir',
        moved,
      ])
      expect(put.code).toBe(1)
      expect(put.stderr).toContain('store_not_found')
      expect(put.stderr).toContain(moved)
      expect(existsSync(moved)).toBe(false)
    })

  // Registered for the embedded store only (its name says so), rather than skipped for the other.
  if (store.kind === 'embedded')
    it('starts while its store is unavailable, refuses streams for now, and serves once the store is there (embedded store only: a data directory that cannot be opened yet)', async () => {
      // A regular file where the data directory should be: the store cannot be opened.
      const later = path.join(path.dirname(dataDir), 'not-yet')
      writeFileSync(later, 'in the way')
      const gateway = startCli(['gateway', '--port', '0', '--data-dir', later, '--create'])
      const exited = new Promise<number | null>((resolve) => gateway.once('exit', resolve))
      const first = (await lines(gateway).next()).value as string
      const url = /listening on (http:\S+)/.exec(first)![1]!
      const health = await fetch(`${url}/v1/healthz`)
      expect(health.status).toBe(503)
      expect(await health.json()).toMatchObject({
        error: {
          code: 'store_unavailable',
          message: expect.stringContaining('data_dir_unavailable'),
        },
      })
      using refused = await openSseForTesting(`${url}/v1/tenants/acme/stream?sub=quotes/q`)
      await refused.ended
      expect(refused.status).toBe(200)
      expect(refused.events.map((e) => e.event)).toEqual(['error'])

      unlinkSync(later)
      await expect
        .poll(async () => (await fetch(`${url}/v1/healthz`)).status, { timeout: 15_000 })
        .toBe(200)
      using client = await openSseForTesting(`${url}/v1/tenants/acme/stream?sub=quotes/q`)
      await client.waitFor((e) => e.event === 'synced')
      gateway.kill('SIGTERM')
      expect(await exited).toBe(0)
    })

  if (store.kind === 'fdb')
    it.skipIf(process.env['FDB_LIVE_FDB_TARGET'] !== 'double')(
      'starts while its cluster is not up yet, answers health with 503, and serves once the cluster is there (fdb store on the libfdb_c test double only: it starts a server of its own)',
      async () => {
        const dir = await mkdtemp(path.join(os.tmpdir(), 'fdb-live-cli-later-'))
        const clusterFile = path.join(dir, 'fdb.cluster')
        // The cluster file names a socket where no server runs yet: an unreachable cluster.
        writeFileSync(clusterFile, `fdbdouble:later@${path.join(dir, 'fdb.sock')}\n`)
        const gateway = startCli([
          'gateway',
          '--port',
          '0',
          '--store',
          'fdb',
          '--cluster-file',
          clusterFile,
        ])
        const exited = new Promise<number | null>((resolve) => gateway.once('exit', resolve))
        let double: FdbDouble | undefined
        try {
          const first = (await lines(gateway).next()).value as string
          const url = /listening on (http:\S+)/.exec(first)![1]!
          const health = await fetch(`${url}/v1/healthz`)
          expect(health.status).toBe(503)
          expect(await health.json()).toMatchObject({
            store: 'fdb',
            error: { code: 'store_unavailable' },
          })

          double = await startFdbDouble({ dir })
          await expect
            .poll(async () => (await fetch(`${url}/v1/healthz`)).status, { timeout: 20_000 })
            .toBe(200)
          using client = await openSseForTesting(`${url}/v1/tenants/acme/stream?sub=quotes/q`)
          await client.waitFor((e) => e.event === 'synced', 20_000)
          gateway.kill('SIGTERM')
          expect(await exited).toBe(0)
        } finally {
          gateway.kill('SIGKILL')
          await double?.stop()
          await rm(dir, { recursive: true, force: true })
        }
      },
      60_000,
    )

  /** `fdb-live gateway` on a free port with this suite's store; resolves once it listens. */
  async function startGatewayCli(flags: string[]) {
    const gateway = startCli(['gateway', '--port', '0', ...storeFlags(), '--create', ...flags])
    const first = (await lines(gateway).next()).value as string
    return { gateway, url: /listening on (http:\S+)/.exec(first)![1]! }
  }

  it('serves the gateway, and on SIGTERM ends streams and exits within 5 s', async () => {
    const { gateway, url } = await startGatewayCli([
      '--cors-origin',
      'http://a.example,http://b.example',
    ])
    const health = await fetch(`${url}/v1/healthz`, { headers: { Origin: 'http://b.example' } })
    expect(await health.json()).toEqual({ ok: true, store: store.kind })
    expect(health.headers.get('access-control-allow-origin')).toBe('http://b.example')

    const client = await openSseForTesting(`${url}/v1/tenants/acme/stream?sub=quotes/s`)
    await client.waitFor((e) => e.event === 'synced')
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', resolve))
    const started = performance.now()
    gateway.kill('SIGTERM')
    await client.ended
    expect(await exited).toBe(0)
    expect(performance.now() - started).toBeLessThan(5000)
  })

  it('serves a change written by another process to a stream of the gateway process', async () => {
    const { gateway, url } = await startGatewayCli([])
    const client = await openSseForTesting(`${url}/v1/tenants/acme/stream?sub=quotes/live`)
    await client.waitFor((e) => e.event === 'synced')
    const put = await runCli(['put', 'acme', 'quotes', 'live', '{"n":2}', ...storeFlags()])
    const { version } = JSON.parse(put.stdout) as { version: string }
    const event = await client.waitFor((e) => e.event === 'value' && e.data['version'] === version)
    expect(event.data['value']).toEqual({ n: 2 })
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', resolve))
    gateway.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('--max-watches sets the store watch budget: past it, a subscription gets too_many_watches', async () => {
    const { gateway, url } = await startGatewayCli(['--max-watches', '1'])
    const client = await openSseForTesting(
      `${url}/v1/tenants/acme/stream?sub=quotes/one&sub=quotes/two`,
    )
    const failed = await client.waitFor((e) => e.event === 'error')
    expect(failed.data).toMatchObject({ code: 'too_many_watches' })
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', resolve))
    gateway.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('--max-collection-size refuses a larger collection with collection_too_large', async () => {
    await Promise.all(
      ['c1', 'c2', 'c3'].map((id) =>
        runCli(['put', 'acme', 'quotes', id, '{"n":1}', ...storeFlags()]),
      ),
    )
    const { gateway, url } = await startGatewayCli(['--max-collection-size', '2'])
    const client = await openSseForTesting(`${url}/v1/tenants/acme/stream`, {
      body: { subscriptions: [{ schema: 'quotes' }] },
    })
    const refused = await client.waitFor((e) => e.event === 'error')
    expect(refused.data).toMatchObject({ schema: 'quotes', code: 'collection_too_large' })
    expect(refused.data['message']).toMatch(/more than 2 members/)
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', resolve))
    gateway.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})

describe('fdb-live CLI arguments (checked before any store is opened)', () => {
  const badArgs: [string, string[], Record<string, string>?][] = [
    ['an unknown flag', ['gateway', '--bogus']],
    ['a bad port', ['gateway', '--port', 'http']],
    ['a port out of range', ['gateway', '--port', '70000']],
    ['a bad port from the environment', ['gateway'], { FDB_LIVE_PORT: 'x' }],
    ['an unknown store', ['gateway', '--store', 'postgres']],
    ['a watch budget that is not a number', ['gateway', '--max-watches', 'lots']],
    ['a watch budget over the FoundationDB ceiling', ['gateway', '--max-watches', '2000000']],
    ['a collection size limit of 0', ['gateway', '--max-collection-size', '0']],
    ['a bad CORS origin', ['gateway', '--cors-origin', 'localhost']],
    ['an unknown command', ['serve']],
    ['a missing argument', ['get', 'acme', 'quotes']],
    ['an invalid schema', ['get', 'acme', '1quotes', 'a']],
    ['a put value that is not JSON', ['put', 'acme', 'quotes', 'a', '{nope']],
  ]
  for (const [name, args, env] of badArgs) {
    it(`exits with code 2 and one line on stderr for ${name}`, async () => {
      const result = await runCli([...args, '--data-dir', dataDir], { env: env ?? {} })
      expect(result.code).toBe(2)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr).toMatch(/^fdb-live: /)
    })
  }

  it('--help exits 0', async () => {
    const result = await runCli(['gateway', '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('--cors-origin')
    expect(result.stdout).toContain('FDB_LIVE_PORT')
  })
})
