import { expect, test } from '../support/fixtures.js'

// Tabs of one origin share a stream only when they present the same identity (the token's
// `sub`; packages/react-sync/README.md). In the demo the `sub` is a visitor id kept in a
// cookie, so every tab of a browser is one visitor. A tab here gets its tokens as another
// visitor, as a second user signed in on the same origin would.
test("a tab of another user on the same origin gets its own stream; a tab of the same user shares the first one's", async ({
  context,
  openQuotePages,
  stack,
}) => {
  await openQuotePages(1)
  await expect.poll(() => stack.openStreams()).toBe(1)

  const other = await context.newPage()
  // Its tokens come from the same API server, asked outside the browser (no visitor cookie).
  await other.route('**/api/token', async (route) => {
    const issued = await fetch(new URL('/api/token', stack.webUrl), { method: 'POST' })
    await route.fulfill({ status: issued.status, json: await issued.json() })
  })
  await other.goto(stack.webUrl)
  await expect(other.getByTestId('connection-status')).toHaveAttribute('data-status', 'live')
  await expect(other.getByTestId('quote-content')).toBeVisible()
  await expect.poll(() => stack.openStreams()).toBe(2)

  // A third tab of the first visitor joins the first tab's stream.
  await openQuotePages(1)
  await expect.poll(() => stack.openStreams()).toBe(2)
})
