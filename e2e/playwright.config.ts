import { defineConfig } from '@playwright/test'

/**
 * Browser tests in Debian's Chromium (`/usr/bin/chromium`, installed by
 * scripts/ensure-chromium.mjs): Playwright cannot download its own browsers here.
 * The demo stack is started by the `stack` fixture (support/demo-stack.ts) on free ports.
 */
export default defineConfig({
  testDir: './tests',
  outputDir: './.artifacts/test-results',
  // One stack per worker; the suite is small, and tests that kill the gateway must not
  // run beside the others.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env['CI'],
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [
    ['list'],
    ['html', { outputFolder: './.artifacts/report', open: 'never' }],
    // Read by scripts/bootstrap.mjs for the test command's closing summary line.
    ['json', { outputFile: './.artifacts/results.json' }],
  ],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
})
