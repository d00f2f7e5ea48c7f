import { expect, likesOf, test } from './fixtures.js'
import type { QuotePage, QuoteTestArgs } from './fixtures.js'

/**
 * The demo's browser scenarios, registered by tests/quote-sync.spec.ts (on the embedded
 * store) and, those marked `onDouble`, by tests/quote-sync-fdb-double.spec.ts (the whole
 * demo on `--store fdb`: the real `foundationdb` binding on the libfdb_c TEST DOUBLE,
 * test/fdb-double, which is not FoundationDB). A spec file shares one demo stack among its
 * tests; they build on each other's data only through what they read first, so they also
 * pass alone (`-g`).
 */
export interface QuoteScenario {
  title: string
  /** Also runs with the demo on the libfdb_c test double. */
  onDouble: boolean
  body: (args: QuoteTestArgs) => Promise<void>
}

/** Every scenario, in the order they run. */
export const quoteScenarios: QuoteScenario[] = []
function scenario(
  title: string,
  options: { onDouble: boolean },
  body: QuoteScenario['body'],
): void {
  quoteScenarios.push({ title, onDouble: options.onDouble, body })
}

/** Every page shows `likes`. */
async function expectLikes(pages: QuotePage[], likes: number, timeout = 10_000): Promise<void> {
  for (const quote of pages) await expect(quote.likes).toHaveText(String(likes), { timeout })
}

scenario(
  'two pages show the same quote; a Like in one shows up in the other within 1 s, without a reload',
  { onDouble: true },
  async ({ openQuotePages }) => {
    const [a, b] = await openQuotePages(2)
    await expect(b!.content).toHaveText((await a!.content.textContent())!)
    await expect(b!.author).toHaveText((await a!.author.textContent())!)
    const likes = await likesOf(a!)
    await expect(b!.likes).toHaveText(String(likes))

    // A marker that a reload would wipe out.
    await b!.page.evaluate(() => Object.assign(window, { notReloaded: true }))
    await a!.likeButton.click()
    await expect(b!.likes).toHaveText(String(likes + 1), { timeout: 1_000 })
    await expect(a!.likes).toHaveText(String(likes + 1))
    expect(await b!.page.evaluate(() => 'notReloaded' in window)).toBe(true)
  },
)

scenario(
  'pnpm change-quote → both pages show the new author and content, and likes 0',
  { onDouble: true },
  async ({ openQuotePages, stack }) => {
    const pages = await openQuotePages(2)
    // Make sure there is something to reset.
    const likes = await likesOf(pages[0]!)
    await pages[0]!.likeButton.click()
    await expectLikes(pages, likes + 1)

    const content = `I can do this all day. (${test.info().repeatEachIndex}-${Date.now()})`
    const output = await stack.changeQuote('Captain America', content)
    expect(output).toMatch(/version [0-9a-f]{20}/)

    for (const quote of pages) {
      await expect(quote.content).toHaveText(content)
      await expect(quote.author).toHaveText('- Captain America')
      await expect(quote.likes).toHaveText('0')
    }
  },
)

scenario(
  'the change form: a blank author is refused with a clear message; a valid change reaches every page',
  { onDouble: false },
  async ({ openQuotePages }) => {
    const [a, b] = await openQuotePages(2)
    const form = a!.page.getByTestId('change-quote')
    await form.locator('summary').click()

    await form.getByTestId('change-content').fill('I can do this all day.')
    await form.getByTestId('change-author').fill('   ')
    await form.getByTestId('change-submit').click()
    await expect(form.getByTestId('change-error')).toHaveText('"author" must not be empty.')

    const content = `I can do this all day. (form ${Date.now()})`
    await form.getByTestId('change-content').fill(content)
    await form.getByTestId('change-author').fill('Captain America')
    await form.getByTestId('change-submit').click()
    for (const quote of [a!, b!]) {
      await expect(quote.content).toHaveText(content)
      await expect(quote.author).toHaveText('- Captain America')
      await expect(quote.likes).toHaveText('0')
    }
    await expect(form.getByTestId('change-error')).toHaveCount(0)
  },
)

scenario(
  '20 rapid Likes spread over 3 pages → every page ends at exactly the total',
  { onDouble: true },
  async ({ openQuotePages }) => {
    const pages = await openQuotePages(3)
    const before = await likesOf(pages[0]!)
    const answered: number[] = []
    for (const quote of pages) {
      quote.page.on('response', (response) => {
        if (response.url().endsWith('/like')) answered.push(response.status())
      })
    }

    // Each page clicks its share as fast as it can, all three at once.
    await Promise.all(
      pages.map(async (quote, index) => {
        for (let click = index; click < 20; click += pages.length) await quote.likeButton.click()
      }),
    )

    await expect.poll(() => answered.length).toBe(20)
    expect(answered.every((status) => status === 204)).toBe(true)
    await expectLikes(pages, before + 20)
  },
)

scenario(
  'kill -9 the gateway, change the quote while it is down, restart it → every page reconnects and shows it',
  { onDouble: true },
  async ({ openQuotePages, stack }) => {
    const pages = await openQuotePages(3)

    await stack.killGateway()
    for (const quote of pages) {
      await expect(quote.status).not.toHaveAttribute('data-status', 'live', { timeout: 20_000 })
    }

    const content = `Once you have explored a fear, it becomes less terrifying. (${Date.now()})`
    await stack.changeQuote('Duke Leto Atreides', content)
    // Still down: nothing can have reached the pages yet.
    for (const quote of pages) await expect(quote.content).not.toHaveText(content)

    await stack.startGateway()
    for (const quote of pages) {
      await expect(quote.status).toHaveAttribute('data-status', 'live', { timeout: 20_000 })
      await expect(quote.content).toHaveText(content)
      await expect(quote.author).toHaveText('- Duke Leto Atreides')
      await expect(quote.likes).toHaveText('0')
    }
  },
)

scenario(
  '10 tabs on one origin over HTTP/1.1 all stay live: they share one stream, and a Like shows up in all 10',
  { onDouble: false },
  async ({ openQuotePages, stack }) => {
    const pages = await openQuotePages(10)
    const protocol = await pages[0]!.page.evaluate(
      () =>
        (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming)
          .nextHopProtocol,
    )
    expect(protocol).toBe('http/1.1')
    // Browsers allow 6 HTTP/1.1 connections per origin: one stream per tab would stall the
    // seventh tab. The tabs elect one leader that holds the only stream.
    await expect.poll(() => stack.openStreams()).toBe(1)

    const likes = await likesOf(pages[0]!)
    await pages[9]!.likeButton.click()
    await expectLikes(pages, likes + 1)
    for (const quote of pages) await expect(quote.status).toHaveAttribute('data-status', 'live')

    // The leader (the first tab) goes away: another tab takes over the stream.
    await pages[0]!.page.close()
    const rest = pages.slice(1)
    await rest[0]!.likeButton.click()
    await expectLikes(rest, likes + 2)
    for (const quote of rest) await expect(quote.status).toHaveAttribute('data-status', 'live')
    await expect.poll(() => stack.openStreams()).toBe(1)
  },
)
