#!/usr/bin/env node
// Makes sure Debian's nginx is installed for the test that puts nginx in front of two
// gateways (packages/gateway/src/behind-nginx.fdb.test.ts calls this before it starts).
// Like scripts/ensure-chromium.mjs: when nginx is missing, install it with apt-get if we
// are root; otherwise say why and how, and exit with SKIP_CODE so the test is skipped.
//
//   node scripts/ensure-nginx.mjs   → prints the nginx binary's path (exit 0)
//                                   → exit 3: not available, the reason on stderr (skip)
//                                   → exit 1: root, but apt-get failed (a failure)
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

const SKIP_CODE = 3
const POLICY = '/usr/sbin/policy-rc.d'

const found = findNginx()
if (found) {
  console.log(found)
  process.exit(0)
}

const hasAptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
if (!hasAptGet || !isRoot) {
  console.error(
    hasAptGet
      ? 'nginx is not installed and this is not root, so it cannot be installed here. ' +
          'Install it, then run the tests again:  sudo apt-get install -y nginx-light'
      : 'nginx is not installed and this machine has no apt-get. Install nginx and put it on ' +
          'PATH (or set NGINX_PATH=/path/to/nginx).',
  )
  process.exit(SKIP_CODE)
}

console.error("nginx is missing; installing Debian's nginx-light package…")
// In a container without a policy-rc.d, the package's postinst would start the system's
// nginx service on port 80; the test needs only the binary. Deny service starts while
// installing (what Docker's Debian images do permanently), then put things back.
const ownPolicy = !existsSync(POLICY)
if (ownPolicy) writeFileSync(POLICY, '#!/bin/sh\nexit 101\n', { mode: 0o755 })
try {
  const install = (pkg) => apt(['install', '-y', '--no-install-recommends', pkg])
  let ok = install('nginx-light') || install('nginx')
  if (!ok) ok = apt(['update']) && (install('nginx-light') || install('nginx'))
  if (!ok) {
    console.error('apt-get could not install nginx-light or nginx (see above).')
    process.exit(1)
  }
} finally {
  if (ownPolicy) rmSync(POLICY, { force: true })
}
const installed = findNginx()
if (!installed) {
  console.error('nginx installed, but no nginx binary was found (/usr/sbin/nginx).')
  process.exit(1)
}
console.error(`nginx installed at ${installed}.`)
console.log(installed)

function findNginx() {
  if (process.env.NGINX_PATH)
    return existsSync(process.env.NGINX_PATH) ? process.env.NGINX_PATH : ''
  if (existsSync('/usr/sbin/nginx')) return '/usr/sbin/nginx'
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' })
  return which.status === 0 ? which.stdout.trim() : ''
}

function apt(args) {
  console.error(`$ apt-get ${args.join(' ')}`)
  const result = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=120', ...args], {
    // apt's output to stderr: stdout carries only the path.
    stdio: ['ignore', 2, 2],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  return result.status === 0
}
