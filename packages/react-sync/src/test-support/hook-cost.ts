/**
 * Counts what mounting N `useSyncOne` rows and one push to them cost (bench/react-hooks.ts):
 * every read a hook makes of the cache (`getQueryData`) or of its record's status
 * (`getKeyStatus`). Runs React DOM on jsdom in Node, against a real gateway.
 */
import { createRequire } from 'node:module'
import { QueryClient } from '@tanstack/react-query'
import React, { createElement } from 'react'
import { SyncProvider } from '../provider.js'
import { createSyncClient } from '../sync-client.js'
import { useSyncOne } from '../use-sync-one.js'
import { Quote } from './quote.js'

/** Reads counted while mounting the rows until all are live, and for one push. */
export interface HookCostForTesting {
  rows: number
  mountReads: number
  pushReads: number
  mountMs: number
}

interface Dom {
  window: Window & typeof globalThis
}

/** Installs a jsdom window as the global one (before React DOM is loaded). */
export function installDomForTesting(): void {
  // tsx compiles .tsx outside a tsconfig's `include` with the classic JSX runtime
  // (`React.createElement`), so the package's components need a global React here.
  Object.assign(globalThis, { React })
  const require = createRequire(import.meta.url)
  const { JSDOM } = require('jsdom') as { JSDOM: new (html: string, options: object) => Dom }
  const { window } = new JSDOM('<!doctype html><body></body>', { url: 'http://localhost/' })
  Object.assign(globalThis, {
    window,
    document: window.document,
    HTMLElement: window.HTMLElement,
    navigator: window.navigator,
    Node: window.Node,
    MutationObserver: window.MutationObserver,
  })
}

// No JSX: bench/ runs this file through tsx with the root tsconfig (no JSX settings).
function Row({ id }: { id: string }) {
  const { data, version, syncStatus } = useSyncOne(Quote, id)
  return createElement(
    'p',
    { 'data-id': id, 'data-sync': syncStatus, 'data-version': version },
    data?.content,
  )
}

/**
 * Mounts one row per id and waits until every row is live, then waits for `push()` (a write
 * to `ids[0]` whose new content it returns) to show. Call {@link installDomForTesting} first.
 */
export async function measureHookCostForTesting(options: {
  gatewayUrl: string
  tenant: string
  ids: readonly string[]
  push: () => Promise<string>
}): Promise<HookCostForTesting> {
  const { createRoot } = await import('react-dom/client')
  const queryClient = new QueryClient()
  const client = createSyncClient({
    gatewayUrl: options.gatewayUrl,
    tenant: options.tenant,
    queryClient,
    crossTab: false,
  })
  let reads = 0
  const getQueryData = queryClient.getQueryData.bind(queryClient)
  queryClient.getQueryData = (key: readonly unknown[]) => {
    reads += 1
    return getQueryData(key)
  }
  const getKeyStatus = client.getKeyStatus
  client.getKeyStatus = (schema, id) => {
    reads += 1
    return getKeyStatus(schema, id)
  }

  const container = document.createElement('div')
  document.body.appendChild(container)
  const root = createRoot(container)
  const started = performance.now()
  const children = options.ids.map((id) => createElement(Row, { key: id, id }))
  const { gatewayUrl, tenant } = options
  root.render(createElement(SyncProvider, { gatewayUrl, tenant, client }, children))
  const rows = () => [...container.querySelectorAll('p')]
  await until(
    () => rows().length === options.ids.length && rows().every((p) => p.dataset['sync'] === 'live'),
  )
  const mountMs = performance.now() - started
  const mountReads = reads

  reads = 0
  const content = await options.push()
  await until(() => rows()[0]?.textContent === content)
  const pushReads = reads

  root.unmount()
  container.remove()
  client.close()
  queryClient.clear()
  return { rows: options.ids.length, mountReads, pushReads, mountMs }
}

async function until(condition: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
