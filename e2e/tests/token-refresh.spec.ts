import { expect, test } from '../support/fixtures.js'

// The demo with auth on (docs/security.md): the page reads through the gateway with
// short-lived tokens from the API server. Here they live 3 s, so that the gateway expires
// the page's stream (`token_expired`) several times during the test.
test.use({ tokenLifetimeSec: 3 })

test('the page stays live across token refreshes and shows a change made after they expired', async ({
  openQuotePages,
  stack,
}) => {
  const [quote] = await openQuotePages(1)
  const { page } = quote!
  // Every status the page shows from now on.
  await page.evaluate(() => {
    const element = document.querySelector('[data-testid="connection-status"]')!
    window.statusesSeen = []
    new MutationObserver(() =>
      window.statusesSeen.push(element.getAttribute('data-status') ?? ''),
    ).observe(element, { attributes: true, attributeFilter: ['data-status'] })
  })
  let tokens = 0
  page.on('request', (request) => {
    if (request.url().endsWith('/api/token')) tokens++
  })

  // Two new tokens: the first token and the second have both expired.
  await expect.poll(() => tokens, { timeout: 15_000 }).toBeGreaterThanOrEqual(2)
  await stack.changeQuote('Captain America', 'I can do this all day.')
  await expect(quote!.content).toHaveText('I can do this all day.')
  await expect(quote!.status).toHaveAttribute('data-status', 'live')
  // Each expiry reopened the stream at once: the page never showed an error or a reconnect.
  const seen = await page.evaluate(() => window.statusesSeen)
  expect(seen.filter((status) => status !== 'live')).toEqual([])
})

declare global {
  interface Window {
    statusesSeen: string[]
  }
}
