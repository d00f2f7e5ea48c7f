import { writeFile } from 'node:fs/promises'
import { test as base, expect } from '@playwright/test'
import type { Locator, Page } from '@playwright/test'
import { startDemoStack } from './demo-stack.js'
import type { DemoStack, DemoStore } from './demo-stack.js'

/** One tab of the demo, with locators for what the tests read and click. */
export interface QuotePage {
  readonly page: Page
  readonly content: Locator
  readonly author: Locator
  readonly likes: Locator
  readonly likeButton: Locator
  readonly status: Locator
}

interface TestFixtures {
  /** Opens `count` tabs of the demo in this test's browser context, each live and showing the quote. */
  openQuotePages: (count: number) => Promise<QuotePage[]>
}

interface WorkerFixtures {
  /** The store the worker's demo stack runs on: `test.use({ store: 'fdb' })`. */
  store: DemoStore
  /** How long the page's gateway tokens live: `test.use({ tokenLifetimeSec: 3 })`. */
  tokenLifetimeSec: number | undefined
  stack: DemoStack
}

/** What a test of quote-sync.spec.ts receives (a subset of Playwright's arguments). */
export type QuoteTestArgs = TestFixtures & WorkerFixtures

export const test = base.extend<TestFixtures, WorkerFixtures>({
  store: ['embedded', { option: true, scope: 'worker' }],
  tokenLifetimeSec: [undefined, { option: true, scope: 'worker' }],
  stack: [
    async ({ store, tokenLifetimeSec }, use) => {
      const stack = await startDemoStack(
        store,
        tokenLifetimeSec === undefined ? {} : { tokenLifetimeSec },
      )
      await use(stack)
      await stack.stop()
    },
    { scope: 'worker', timeout: 120_000 },
  ],

  openQuotePages: async ({ context, stack }, use, testInfo) => {
    const consoleLines: string[] = []
    const logMark = stack.logMark()
    let opened = 0

    await use(async (count) => {
      const pages: QuotePage[] = []
      for (let i = 0; i < count; i++) {
        const tab = ++opened
        const page = await context.newPage()
        page.on('console', (message) =>
          consoleLines.push(`[tab ${tab}] ${message.type()}: ${message.text()}`),
        )
        page.on('pageerror', (error) =>
          consoleLines.push(`[tab ${tab}] pageerror: ${error.stack ?? error.message}`),
        )
        await page.goto(stack.webUrl)
        pages.push(quotePage(page))
      }
      for (const quote of pages) {
        await expect(quote.status).toHaveAttribute('data-status', 'live', { timeout: 15_000 })
        await expect(quote.content).toBeVisible()
      }
      return pages
    })

    // E2E_DEBUG=1 prints both logs for passing tests too.
    if (process.env['E2E_DEBUG'] === '1') {
      process.stdout.write(`${consoleLines.join('\n')}\n${stack.logs(logMark)}\n`)
    }
    if (testInfo.status !== testInfo.expectedStatus) {
      // Files next to the screenshots and the trace, so that CI logs point straight at them.
      for (const [name, body] of [
        ['browser-console.txt', consoleLines.join('\n')],
        ['server-logs.txt', stack.logs(logMark)],
      ] as const) {
        const file = testInfo.outputPath(name)
        await writeFile(file, body + '\n')
        await testInfo.attach(name, { path: file, contentType: 'text/plain' })
      }
    }
  },
})

function quotePage(page: Page): QuotePage {
  return {
    page,
    content: page.getByTestId('quote-content'),
    author: page.getByTestId('quote-author'),
    likes: page.getByTestId('quote-likes'),
    likeButton: page.getByTestId('like-button'),
    status: page.getByTestId('connection-status'),
  }
}

/** The likes a page shows now. */
export async function likesOf(quote: QuotePage): Promise<number> {
  return Number(await quote.likes.textContent())
}

export { expect }
