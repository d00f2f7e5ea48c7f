import type { Page } from '@playwright/test'
import { expect } from './fixtures.js'
import type { QuotePage, QuoteTestArgs } from './fixtures.js'

/**
 * "All quotes" (`useSyncList(Quote)`) in real Chromium, registered by
 * tests/all-quotes.spec.ts (embedded store) and tests/all-quotes-fdb-double.spec.ts (the
 * whole demo on the libfdb_c TEST DOUBLE, not FoundationDB). Each test reads what it needs
 * first, so they pass alone (`-g`) and in any order on one stack.
 */
export interface AllQuotesScenario {
  title: string
  body: (args: QuoteTestArgs) => Promise<void>
}

export const allQuotesScenarios: AllQuotesScenario[] = []
const scenario = (title: string, body: AllQuotesScenario['body']): void => {
  allQuotesScenarios.push({ title, body })
}

/** A row of the list as a user reads it. */
interface Row {
  id: string
  content: string
  likes: number
}

const list = (page: Page) => page.getByTestId('all-quotes')
const rowsOf = (page: Page) => page.getByTestId('quote-row')
const row = (page: Page, id: string) => page.locator(`[data-testid="quote-row"][data-id="${id}"]`)

/** The list a page shows now, top to bottom. */
async function shownRows(page: Page): Promise<Row[]> {
  return rowsOf(page).evaluateAll((items) =>
    items.map((item) => ({
      id: item.getAttribute('data-id') ?? '',
      content: item.querySelector('[data-testid="row-content"]')?.textContent ?? '',
      likes: Number(item.querySelector('[data-testid="row-likes"]')?.textContent),
    })),
  )
}

/** Opens `count` pages and waits until each one's list is live. */
async function openListPages(
  openQuotePages: QuoteTestArgs['openQuotePages'],
  count: number,
): Promise<QuotePage[]> {
  const pages = await openQuotePages(count)
  for (const { page } of pages) {
    await expect(list(page)).toHaveAttribute('data-sync', 'live', { timeout: 15_000 })
  }
  return pages
}

/** Waits until the quote `content` shows on `page`, and returns its id. */
async function idOf(page: Page, content: string): Promise<string> {
  const found = rowsOf(page).filter({ hasText: content })
  await expect(found).toHaveCount(1)
  return (await found.getAttribute('data-id'))!
}

scenario(
  'a quote added with the form in one page shows up at the end of the list in both',
  async ({ openQuotePages }) => {
    const [a, b] = await openListPages(openQuotePages, 2)
    const before = (await shownRows(b!.page)).length
    const content = `Do. Or do not. There is no try. (form ${Date.now()})`
    const form = a!.page.getByTestId('add-quote')
    await form.getByTestId('add-content').fill(content)
    await form.getByTestId('add-author').fill('Yoda')
    await form.getByTestId('add-submit').click()

    for (const { page } of [a!, b!]) {
      await expect(rowsOf(page).last().getByTestId('row-content')).toHaveText(content)
      await expect(rowsOf(page).last().getByTestId('row-author')).toHaveText('- Yoda')
      await expect(rowsOf(page).last().getByTestId('row-likes')).toHaveText('0')
      await expect(rowsOf(page)).toHaveCount(before + 1)
    }
    // The form is cleared, and the favorite quote is untouched.
    await expect(form.getByTestId('add-content')).toHaveValue('')
    await expect(a!.content).toBeVisible()
  },
)

scenario(
  'a blank author is refused with a clear message, and nothing is added',
  async ({ openQuotePages }) => {
    const [a] = await openListPages(openQuotePages, 1)
    const before = await shownRows(a!.page)
    const form = a!.page.getByTestId('add-quote')
    await form.getByTestId('add-content').fill('Something')
    await form.getByTestId('add-author').fill('  ')
    await form.getByTestId('add-submit').click()
    await expect(form.getByTestId('add-error')).toHaveText('"author" must not be empty.')
    expect(await shownRows(a!.page)).toEqual(before)
  },
)

scenario('pnpm add-quote from a shell appears in every page', async ({ openQuotePages, stack }) => {
  const [a, b] = await openListPages(openQuotePages, 2)
  const content = `I can do this all day. (shell ${Date.now()})`
  const output = await stack.addQuote('Captain America', content)
  expect(output).toMatch(/as q-[0-9a-z]+-[0-9a-z]+ \(version [0-9a-f]{20}\)/)
  for (const { page } of [a!, b!]) {
    await expect(rowsOf(page).filter({ hasText: content })).toHaveCount(1)
  }
})

scenario('Delete in one page removes the row in both', async ({ openQuotePages, stack }) => {
  const [a, b] = await openListPages(openQuotePages, 2)
  const content = `To be deleted (${Date.now()})`
  await stack.addQuote('Nobody', content)
  const id = await idOf(a!.page, content)
  await expect(row(b!.page, id)).toHaveCount(1)

  await row(b!.page, id).getByTestId('row-delete').click()
  for (const { page } of [a!, b!]) await expect(row(page, id)).toHaveCount(0)
  expect((await stack.storeQuotes()).some((q) => q.id === id)).toBe(false)
})

scenario(
  'a Like on a row in one page updates that row in the other; the favorite Like updates its row too',
  async ({ openQuotePages, stack }) => {
    const [a, b] = await openListPages(openQuotePages, 2)
    const content = `Like me (${Date.now()})`
    await stack.addQuote('Someone', content)
    const id = await idOf(a!.page, content)

    await row(a!.page, id).getByTestId('row-like').click()
    await row(a!.page, id).getByTestId('row-like').click()
    for (const { page } of [a!, b!]) {
      await expect(row(page, id).getByTestId('row-likes')).toHaveText('2')
    }

    // The favorite quote is a quote like any other: its Like shows in its row of the list.
    const likes = Number(await a!.likes.textContent())
    await b!.likeButton.click()
    for (const quote of [a!, b!]) {
      await expect(quote.likes).toHaveText(String(likes + 1))
      await expect(row(quote.page, 'my-favorite-quote').getByTestId('row-likes')).toHaveText(
        String(likes + 1),
      )
    }
  },
)

scenario(
  "the page holding the tabs' stream closes: the other page takes it over and its list keeps following",
  async ({ openQuotePages, stack }) => {
    const [leader, other] = await openListPages(openQuotePages, 2)
    // The first page opened leads (it holds the only stream, for both pages' lists).
    await leader!.page.close()
    const content = `After the hand-over (${Date.now()})`
    await stack.addQuote('Someone', content)
    await expect(rowsOf(other!.page).filter({ hasText: content })).toHaveCount(1)
    await expect(list(other!.page)).toHaveAttribute('data-sync', 'live')
    const expected = (await stack.storeQuotes()).map((q) => q.id)
    expect((await shownRows(other!.page)).map((r) => r.id)).toEqual(expected)
  },
)

scenario(
  'the list changes while the gateway is down: on restart every page shows exactly the store list',
  async ({ openQuotePages, stack }) => {
    const stamp = Date.now()
    await stack.addQuote('Before', `will be deleted while down (${stamp})`)
    await stack.addQuote('Before', `will be liked while down (${stamp})`)
    const pages = await openListPages(openQuotePages, 2)
    const deleted = await idOf(pages[0]!.page, `will be deleted while down (${stamp})`)
    const liked = await idOf(pages[0]!.page, `will be liked while down (${stamp})`)

    const streamBodies: string[] = []
    for (const { page } of pages) {
      page.on('request', (request) => {
        if (request.url().endsWith('/stream')) streamBodies.push(request.postData() ?? '')
      })
    }
    await stack.killGateway()
    for (const quote of pages) {
      await expect(quote.status).not.toHaveAttribute('data-status', 'live', { timeout: 20_000 })
    }
    await stack.addQuote('While down', `added while the gateway was down (${stamp})`)
    await stack.deleteQuote(deleted)
    const like = await fetch(new URL(`/api/quotes/${liked}/like`, stack.webUrl), { method: 'POST' })
    expect(like.status).toBe(204)
    // Still down: the pages show the list as it was.
    for (const { page } of pages) await expect(row(page, deleted)).toHaveCount(1)

    await stack.startGateway()
    const expected = (await stack.storeQuotes()).map((q) => ({
      id: q.id,
      content: q.value.content,
      likes: q.value.likes,
    }))
    expect(expected.some((q) => q.id === deleted)).toBe(false)
    for (const quote of pages) {
      await expect(quote.status).toHaveAttribute('data-status', 'live', { timeout: 20_000 })
      await expect.poll(() => shownRows(quote.page), { timeout: 20_000 }).toEqual(expected)
    }
    // The tabs' one stream resumed the list from its last collection-synced version.
    const resumed = JSON.parse(streamBodies.at(-1)!) as {
      subscriptions: { schema: string; id?: string; since?: string }[]
    }
    const collection = resumed.subscriptions.find((sub) => sub.id === undefined)
    expect(collection).toEqual({ schema: 'quotes', since: expect.stringMatching(/^[0-9a-f]{20}$/) })
  },
)
