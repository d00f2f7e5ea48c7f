#!/usr/bin/env node
// Makes sure Debian's Chromium is installed for the e2e tests. Playwright cannot download
// its own browsers on these machines, so the tests drive /usr/bin/chromium instead.
// When it is missing: install it with apt-get if we are root, otherwise say exactly how.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

if (existsSync(CHROMIUM)) process.exit(0)

const hasAptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

if (!hasAptGet || !isRoot) {
  const prefix = isRoot ? '' : 'sudo '
  console.error(`e2e: Chromium is not installed at ${CHROMIUM}.`)
  if (hasAptGet) {
    console.error(
      `Install Debian's Chromium, then run the tests again:\n\n  ${prefix}apt-get update && ${prefix}apt-get install -y chromium\n`,
    )
  } else {
    console.error(
      'This machine has no apt-get. Install Chromium with your package manager and point the ' +
        'tests at it:\n\n  CHROMIUM_PATH=/path/to/chromium pnpm test:e2e\n',
    )
  }
  process.exit(1)
}

console.log(`e2e: Chromium is missing at ${CHROMIUM}; installing Debian's chromium package…`)
for (const args of [['update'], ['install', '-y', 'chromium']]) {
  console.log(`$ apt-get ${args.join(' ')}`)
  const result = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  if (result.status !== 0) {
    console.error(
      `e2e: "apt-get ${args.join(' ')}" failed (exit ${result.status ?? result.signal}).`,
    )
    process.exit(1)
  }
}
if (!existsSync(CHROMIUM)) {
  console.error(`e2e: the chromium package installed, but ${CHROMIUM} is still missing.`)
  process.exit(1)
}
console.log(`e2e: Chromium installed at ${CHROMIUM}.`)
