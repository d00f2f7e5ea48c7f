import { fileURLToPath } from 'node:url'
import { expect, test } from '../support/fixtures.js'

// The README's picture of the running demo: `SCREENSHOT=1 pnpm test:e2e -g screenshot`
// writes docs/quote-demo.png. Skipped otherwise, so a test run never changes the repo.
test('screenshot of the running demo for the README', async ({ openQuotePages, stack }) => {
  test.skip(process.env['SCREENSHOT'] !== '1', 'set SCREENSHOT=1 to update docs/quote-demo.png')
  await stack.changeQuote(
    'Duke Leto Atreides',
    'Once you have explored a fear, it becomes less terrifying. Part of courage comes from extending our knowledge.',
  )
  await stack.addQuote('Yoda', 'Do. Or do not. There is no try.')
  await stack.addQuote('Captain America', 'I can do this all day.')
  const [quote] = await openQuotePages(1)
  await quote!.page.setViewportSize({ width: 900, height: 900 })
  for (let i = 0; i < 3; i++) await quote!.likeButton.click()
  await expect(quote!.likes).toHaveText('3')
  await expect(quote!.author).toHaveText('- Duke Leto Atreides')
  await quote!.page.getByTestId('change-quote').locator('summary').click()
  await expect(quote!.page.getByText('Do. Or do not. There is no try.')).toBeVisible()
  await quote!.page.screenshot({
    fullPage: true,
    path: fileURLToPath(new URL('../../docs/quote-demo.png', import.meta.url)),
  })
})
