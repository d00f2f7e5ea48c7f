import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SOURCE_NODE_ARGS } from '../test-support/writer.js'
import { TEST_SECRET_FOR_TESTING, signTokenForTesting } from '../test-support/tokens.js'
import { isLoopback } from './security-options.js'

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url))
let dataDir: string

beforeAll(async () => {
  dataDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'fdb-live-cli-sec-')), 'data')
})
afterAll(async () => {
  await rm(path.dirname(dataDir), { recursive: true, force: true })
})

function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(
    process.execPath,
    [...SOURCE_NODE_ARGS, CLI, 'gateway', '--data-dir', dataDir, '--create', ...args],
    {
      env: { ...process.env, FDB_LIVE_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
}

function collect(child: ChildProcess): { stderr: () => string } {
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return { stderr: () => stderr }
}

async function listening(child: ChildProcess): Promise<string> {
  const lines = readline.createInterface({ input: child.stdout! })
  const first = await lines[Symbol.asyncIterator]().next()
  return /listening on (http:\S+)/.exec(first.value as string)![1]!
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

describe('fdb-live gateway: security flags', () => {
  it('refuses to listen on a non-loopback host without auth (exit 2), unless --insecure-no-auth, which warns', async () => {
    const refused = startCli(['--host', '0.0.0.0', '--port', '0'])
    const out = collect(refused)
    const code = await new Promise((resolve) => refused.once('exit', resolve))
    expect(code).toBe(2)
    expect(out.stderr()).toContain('refusing to listen on 0.0.0.0 without auth')

    const insecure = startCli(['--host', '0.0.0.0', '--port', '0', '--insecure-no-auth'])
    const logs = collect(insecure)
    await listening(insecure)
    await expect.poll(() => logs.stderr()).toContain('without auth on a non-loopback host')
    await stop(insecure)
  })

  it('checks tokens with FDB_LIVE_AUTH_* and protects /metrics with --metrics-token', async () => {
    const gateway = startCli(['--port', '0', '--host', '0.0.0.0', '--metrics-token', 'm'], {
      FDB_LIVE_AUTH_SECRET: TEST_SECRET_FOR_TESTING,
      FDB_LIVE_AUTH_AUDIENCE: 'fdb-live',
    })
    const url = (await listening(gateway)).replace('0.0.0.0', '127.0.0.1')
    try {
      const record = `${url}/v1/tenants/acme/records/quotes/q`
      expect((await fetch(record)).status).toBe(401)
      const wrongAud = await signTokenForTesting({ grants: ['acme/*/*'], aud: 'other' })
      expect(
        (await fetch(record, { headers: { Authorization: `Bearer ${wrongAud}` } })).status,
      ).toBe(401)
      const token = await signTokenForTesting({ grants: ['acme/*/*'], aud: 'fdb-live' })
      // Authenticated and granted: the record simply does not exist.
      expect((await fetch(record, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(
        404,
      )
      expect((await fetch(`${url}/metrics`)).status).toBe(401)
      expect(
        (await fetch(`${url}/metrics`, { headers: { Authorization: 'Bearer m' } })).status,
      ).toBe(200)
    } finally {
      await stop(gateway)
    }
  })

  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopback(host)).toBe(true)
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '::ffff:10.0.0.1'])
      expect(isLoopback(host)).toBe(false)
  })
})
