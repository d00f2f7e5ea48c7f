import { existsSync } from 'node:fs'
import net from 'node:net'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { freePort, isListening, startNode } from '../support/processes.js'

// `pnpm demo`'s process handling, without a browser: the whole stack (gateway included)
// comes up, Ctrl-C stops every part, and a failed start leaves nothing behind.

async function demoEnv() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'fdb-live-demo-'))
  const ports = { gateway: await freePort(), api: await freePort(), web: await freePort() }
  return {
    dataDir,
    ports,
    env: {
      FDB_LIVE_DATA_DIR: dataDir,
      DEMO_GATEWAY_PORT: String(ports.gateway),
      DEMO_API_PORT: String(ports.api),
      DEMO_WEB_PORT: String(ports.web),
    },
  }
}

/**
 * Reads the favorite quote through the page's origin as the page does: with a token from
 * the API server. The gateway checks tokens: without one the read is refused.
 */
async function readFavoriteQuote(webPort: number): Promise<unknown> {
  const url = `http://127.0.0.1:${webPort}/v1/tenants/experiment-with-watches-in-liveview/records/quotes/my-favorite-quote`
  expect((await fetch(url)).status).toBe(401)
  const issued = await fetch(`http://127.0.0.1:${webPort}/api/token`, { method: 'POST' })
  const { token } = (await issued.json()) as { token: string }
  return (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()
}

async function expectNothingListening(ports: Record<string, number>): Promise<void> {
  for (const [name, port] of Object.entries(ports)) {
    expect(await isListening(port), `${name} (port ${port}) is still listening`).toBe(false)
  }
}

test('the demo starts the gateway, the API server and Vite; Ctrl-C stops all of them', async () => {
  const { dataDir, ports, env } = await demoEnv()
  const demo = startNode('demo', ['scripts/demo.mjs'], { env })
  try {
    const ready = await demo.waitForLine(/\[demo\] ready in/)
    expect(ready).toBeTruthy()
    expect(demo.output.join('\n')).toContain(`http://127.0.0.1:${ports.web}/`)

    const health = await fetch(`http://127.0.0.1:${ports.gateway}/v1/healthz`)
    expect(health.status).toBe(200)
    // The API server seeded the first quote, and the gateway serves it.
    expect(await readFavoriteQuote(ports.web)).toMatchObject({
      value: { author: 'Philippe Verdoux', likes: 0 },
    })
    // Each part's output is prefixed with its name.
    expect(demo.output.some((line) => line.startsWith('[demo] [gateway]'))).toBe(true)
    expect(demo.output.some((line) => line.startsWith('[demo] [api]'))).toBe(true)
    expect(demo.output.some((line) => line.startsWith('[demo] [web]'))).toBe(true)

    await demo.stop('SIGINT')
    expect((await demo.exited).code).toBe(0)
    await expectNothingListening(ports)
  } finally {
    await demo.stop('SIGKILL')
    await rm(dataDir, { recursive: true, force: true })
  }
})

test('pnpm demo --store fdb without FDB_CLUSTER_FILE starts the libfdb_c test double itself, says so, serves from it, and Ctrl-C stops it too', async () => {
  const { dataDir, ports, env } = await demoEnv()
  // No cluster file anywhere: the demo must start a double of its own.
  const demo = startNode('demo', ['scripts/demo.mjs', '--store', 'fdb'], {
    // The flag wins over the variable.
    env: { ...env, FDB_LIVE_STORE: 'embedded' },
    unsetEnv: ['FDB_CLUSTER_FILE', 'FDB_LIVE_CLUSTER_FILE'],
  })
  try {
    await demo.waitForLine(/\[demo\] ready in/)
    const output = demo.output.join('\n')
    expect(output).toContain('this demo runs on the libfdb_c TEST DOUBLE')
    expect(output).toContain('NOT on FoundationDB')
    const clusterFile =
      /store: {5}the libfdb_c TEST DOUBLE \(not FoundationDB\), cluster file (\S+)/.exec(
        output,
      )?.[1]
    expect(clusterFile).toBeDefined()

    const health = await fetch(`http://127.0.0.1:${ports.gateway}/v1/healthz`)
    expect(await health.json()).toEqual({ ok: true, store: 'fdb' })
    expect(await readFavoriteQuote(ports.web)).toMatchObject({
      value: { author: 'Philippe Verdoux', likes: 0 },
    })

    await demo.stop('SIGINT')
    expect((await demo.exited).code).toBe(0)
    await expectNothingListening(ports)
    // The double's folder (socket and cluster file) is gone with it.
    expect(existsSync(path.dirname(clusterFile!)), demo.output.join('\n')).toBe(false)
  } finally {
    await demo.stop('SIGKILL')
    await rm(dataDir, { recursive: true, force: true })
  }
})

test('a port in use: the demo names the part and the port, and leaves nothing running', async () => {
  const { dataDir, ports, env } = await demoEnv()
  const blocker = net.createServer()
  await new Promise<void>((resolve) => blocker.listen(ports.api, '127.0.0.1', resolve))
  try {
    const demo = startNode('demo', ['scripts/demo.mjs'], { env })
    const { code } = await demo.exited
    expect(code).not.toBe(0)
    expect(demo.output.join('\n')).toContain(
      `Cannot start the api: port ${ports.api} is already in use`,
    )
    await expectNothingListening({ gateway: ports.gateway, web: ports.web })
  } finally {
    blocker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
})

test('a part that fails to start: the demo says which, stops the others and exits non-zero', async () => {
  const { dataDir, ports, env } = await demoEnv()
  // A data directory that cannot be created: the gateway and the API server fail to open it.
  const notADirectory = path.join(dataDir, 'file')
  await writeFile(notADirectory, 'not a directory')
  try {
    const demo = startNode('demo', ['scripts/demo.mjs'], {
      env: { ...env, FDB_LIVE_DATA_DIR: path.join(notADirectory, 'data') },
    })
    const { code } = await demo.exited
    expect(code).not.toBe(0)
    expect(demo.output.join('\n')).toMatch(
      /The (gateway|api) \(port \d+\) exited with code \d+ before it was ready/,
    )
    await expectNothingListening(ports)
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
})
