#!/usr/bin/env node
// The README's commands start here, on a machine that may have only Node.js and npm:
//
//   npm run demo | npm test | npm run fdb-live -- … | npm run change-quote -- … |
//   npm run add-quote -- … | npm run bench
//
// It makes sure pnpm 10 and the workspace's dependencies are installed, then runs the
// command. Plain Node.js on purpose: nothing of the project is installed yet when it runs.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PNPM_VERSION = '10.34.9'
const SOURCE = ['--conditions=@fdb-live/source', '--import', 'tsx']

const [command, ...args] = process.argv.slice(2)
/** How to run pnpm here: `['pnpm']`, or npx when a global install is not possible. */
let pnpmCommand = ['pnpm']

const commands = {
  demo: async () => {
    await step('build', pnpm('run', 'build'))
    return run('node', ['scripts/demo.mjs', ...args])
  },
  test: async () => {
    await step('lint', pnpm('run', 'lint'))
    await step('format', pnpm('run', 'format:check'))
    await step('typecheck', pnpm('run', 'typecheck'))
    // The libfdb_c test double (C, test-only) and its own tests, plain and under
    // AddressSanitizer + UndefinedBehaviorSanitizer. The FoundationDB suites below run the
    // real `foundationdb` binding on it (vitest.fdb-setup.ts starts its server).
    const doubleReport = path.join(root, 'node_modules', '.cache', 'fdb-double-tests.jsonl')
    mkdirSync(path.dirname(doubleReport), { recursive: true })
    rmSync(doubleReport, { force: true })
    process.env.FDB_DOUBLE_TEST_REPORT = doubleReport
    await step('libfdb_c test double: build and C tests (plain, then ASan + UBSan)', [
      'make',
      ['-C', 'test/fdb-double', 'test'],
    ])
    const unitReport = path.join(root, 'node_modules', '.cache', 'fdb-live-vitest.json')
    await step(
      'unit and integration tests',
      pnpm(
        'run',
        'test:unit',
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${unitReport}`,
      ),
    )
    const faultReports = await faultPass()
    // Checks that the fan-out harness runs and delivers every event; it never asserts timings.
    await step('benchmark harness smoke run (no timing assertions)', [
      'node',
      [...SOURCE, 'bench/fanout-vs-nchan.ts', '--smoke', '--workers', '1,2'],
    ])
    await step('benchmark harness smoke run: many records (no timing assertions)', [
      'node',
      [...SOURCE, 'bench/many-records.ts', '--smoke'],
    ])
    await step('browser tests (e2e, Chromium)', pnpm('run', 'test:e2e'))
    // After the e2e step, which made sure Chromium is there.
    await step('benchmark harness smoke run: write → DOM in Chromium (no timing assertions)', [
      'node',
      [...SOURCE, 'bench/browser-dom.ts', '--smoke'],
    ])
    summarize(
      unitReport,
      path.join(root, 'e2e', '.artifacts', 'results.json'),
      doubleReport,
      faultReports,
    )
    return 0
  },
  'fdb-live': () => run('node', [...SOURCE, 'packages/gateway/src/cli.ts', ...args]),
  'change-quote': () => run('node', ['scripts/change-quote.mjs', ...args]),
  'add-quote': () => run('node', ['scripts/add-quote.mjs', ...args]),
  bench: async () => {
    // `pnpm bench --store fdb`: only the gateway benchmark, on the FoundationDB store (the
    // libfdb_c test double unless FDB_CLUSTER_FILE names a cluster).
    if (args.includes('--store')) {
      await step(`bench: gateway ${args.join(' ')}`, [
        'node',
        [...SOURCE, 'bench/gateway.ts', ...args],
      ])
      return 0
    }
    return runBenchmarks(args)
  },
}

/**
 * The scenarios of `pnpm bench`, in order (docs/benchmarks.md has a section for each).
 * `budgetS` bounds each: a scenario still running past it is stopped and reported as
 * failed, so that the whole run stays under BENCH_TOTAL_BUDGET_S. `--only a,b` runs a
 * subset; the plots and the summary are drawn after any subset.
 */
const BENCH_SCENARIOS = [
  {
    name: 'embedded',
    what: 'embedded store: commits, and commit → watch fired across processes (target 4)',
    budgetS: 90,
    runs: [['bench/embedded-store.ts']],
  },
  {
    name: 'gateway',
    what: 'gateway: memory, fan-out to 1/100/1,000 clients, throughput (embedded store, then the libfdb_c test double: our overhead, not FoundationDB)',
    budgetS: 180,
    runs: [['bench/gateway.ts'], ['bench/gateway.ts', '--store', 'fdb']],
  },
  {
    name: 'fanout',
    what: 'fan-out of one record, gateway against nginx + nchan, 1 and 2 workers, 1k–19k streams (targets 1, 2, 6)',
    // With one worker each server idles 30 s before its baseline and 30 s after the rounds
    // (the settled RSS): about 8 of the ~14 minutes; the 100 rounds per size about 3.
    budgetS: 1320,
    // Starts no new run after 1,080 s; the 19k runs that no longer fit are listed as skipped.
    runs: [['bench/fanout-vs-nchan.ts', '--workers', '1,2', '--deadline-s', '1080']],
  },
  {
    name: 'many-records',
    what: 'many records: 1,000 streams × 100 subscriptions, 1,000 writes/s for 60 s, against the naive way (target 3)',
    budgetS: 330,
    runs: [['bench/many-records.ts']],
  },
  {
    name: 'browser',
    what: 'in the browser: write → demo DOM in Chromium, 200 writes; useSyncOne reads for 150–1,000 rows (target 5)',
    budgetS: 150,
    runs: [['bench/browser-dom.ts'], ['bench/react-hooks.ts']],
  },
  {
    name: 'collections',
    what: "live collections: bytes and gateway CPU per change, 1,000 → 10,000 members, 100 subscribers, against the seed's full re-read (issue 13)",
    budgetS: 240,
    runs: [['bench/collections.ts']],
  },
  {
    name: 'profile',
    what: 'CPU profile of the gateway at 5k streams, and its flame graphs',
    budgetS: 150,
    runs: [['bench/fanout-vs-nchan.ts', '--profile'], ['bench/flamegraph.ts']],
  },
]
/** 41 minutes when every scenario runs to its budget. */
const BENCH_TOTAL_BUDGET_S = BENCH_SCENARIOS.reduce((sum, s) => sum + s.budgetS, 0)

/** `pnpm bench [--only fanout,many-records]`: every scenario (or some), then plots and a summary. */
async function runBenchmarks(benchArgs) {
  const at = benchArgs.indexOf('--only')
  const only = at < 0 ? undefined : (benchArgs[at + 1] ?? '').split(',')
  const unknown = (only ?? []).filter((name) => !BENCH_SCENARIOS.some((s) => s.name === name))
  if (unknown.length > 0) {
    console.error(
      `bootstrap: unknown scenario ${unknown.join(', ')}; use --only with ${BENCH_SCENARIOS.map((s) => s.name).join(', ')}`,
    )
    return 2
  }
  const chosen = BENCH_SCENARIOS.filter((s) => only === undefined || only.includes(s.name))
  const budget = chosen.reduce((sum, s) => sum + s.budgetS, 0)
  log(
    `bench: ${chosen.map((s) => s.name).join(', ')}; at most ${Math.round(budget / 60)} min ` +
      `(all scenarios: ${Math.round(BENCH_TOTAL_BUDGET_S / 60)} min); load average ${loadavg()}`,
  )
  const started = Date.now()
  const failed = []
  for (const [i, scenario] of chosen.entries()) {
    const scenarioStart = Date.now()
    log(
      `bench [${i + 1}/${chosen.length}] ${scenario.name}: ${scenario.what} (≤ ${scenario.budgetS} s)`,
    )
    const deadline = scenarioStart + scenario.budgetS * 1000
    for (const script of scenario.runs) {
      const left = deadline - Date.now()
      const code = left > 0 ? await run('node', [...SOURCE, ...script], left) : 124
      if (code !== 0) {
        failed.push(`${scenario.name} (${script.join(' ')}: exit ${code})`)
        break
      }
    }
    const took = ((Date.now() - scenarioStart) / 1000).toFixed(0)
    const total = ((Date.now() - started) / 60_000).toFixed(1)
    log(`bench ${scenario.name}: ${took} s; ${total} min so far; load average ${loadavg()}`)
  }
  for (const script of ['bench/plot.ts', 'bench/summary.ts']) {
    if ((await run('node', [...SOURCE, script])) !== 0) failed.push(script)
  }
  log(`bench: ${((Date.now() - started) / 60_000).toFixed(1)} min in all`)
  if (failed.length > 0) {
    console.error(`\x1b[31m✗ fdb-live: bench failed:\x1b[0m ${failed.join('; ')}`)
    return 1
  }
  return 0
}

function loadavg() {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')
}

/**
 * Fixed seeds of the fault pass: the FoundationDB suites again, on the libfdb_c test
 * double with its fault mode on (FDB_DOUBLE_BUGGIFY, test/fdb-double/README.md), every
 * fault at its default rate but one: a too_many_watches below the limit fails whatever
 * watch it hits, and a contract test cannot tell that from a bug. The convergence test
 * (packages/gateway/src/convergence.fdb.test.ts) turns it on again for its own server.
 */
const FAULT_SEEDS = ['101', '202']
const FAULT_KNOBS = 'early_too_many_watches=0'
/** Each seed's run takes about 25 s on 2 cores; past this it is stopped and fails. */
const FAULT_RUN_DEADLINE_MS = 100_000

/**
 * The second pass of the FoundationDB suites (`*.fdb.test.ts` in every package), once per
 * seed, each stopped after FAULT_RUN_DEADLINE_MS (so under 3.5 minutes in all). Skipped
 * against a real cluster (FDB_CLUSTER_FILE), whose faults cannot be injected.
 * @returns the JSON report of each run, for the summary
 */
async function faultPass() {
  if (process.env.FDB_CLUSTER_FILE) {
    log('FoundationDB suites under faults: skipped — FDB_CLUSTER_FILE names a real cluster')
    return []
  }
  const reports = []
  for (const seed of FAULT_SEEDS) {
    const report = path.join(root, 'node_modules', '.cache', `fdb-live-vitest-faults-${seed}.json`)
    reports.push(report)
    process.env.FDB_DOUBLE_BUGGIFY = `${seed},${FAULT_KNOBS}`
    try {
      await step(
        `FoundationDB suites under faults (libfdb_c test double, not FoundationDB; FDB_DOUBLE_BUGGIFY=${seed},${FAULT_KNOBS})`,
        pnpm(
          'exec',
          'vitest',
          'run',
          'fdb.test',
          '--reporter=default',
          '--reporter=json',
          `--outputFile.json=${report}`,
        ),
        FAULT_RUN_DEADLINE_MS,
      )
    } finally {
      delete process.env.FDB_DOUBLE_BUGGIFY
    }
  }
  return reports
}

const main = commands[command]
if (!main) {
  console.error(
    `bootstrap: unknown command ${JSON.stringify(command)}; use one of: ${Object.keys(commands).join(', ')}`,
  )
  process.exit(2)
}
ensurePnpm()
ensureInstalled()
process.exitCode = await main()

function log(message) {
  console.error(`\x1b[36m▸ fdb-live\x1b[0m ${message}`)
}

function pnpm(...pnpmArgs) {
  return [pnpmCommand[0], [...pnpmCommand.slice(1), ...pnpmArgs]]
}

function ensurePnpm() {
  const found = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: false })
  if (found.status === 0 && found.stdout.trim().startsWith('10.')) {
    pnpmCommand = ['pnpm']
    return
  }
  log(`installing pnpm ${PNPM_VERSION} (npm install -g)…`)
  const installed = spawnSync('npm', ['install', '-g', `pnpm@${PNPM_VERSION}`], {
    stdio: 'inherit',
  })
  const again = spawnSync('pnpm', ['--version'], { encoding: 'utf8' })
  if (installed.status === 0 && again.status === 0 && again.stdout.trim().startsWith('10.')) {
    pnpmCommand = ['pnpm']
    return
  }
  // No permission for a global install: run pnpm through npx instead (cached after once).
  log(`global install failed; using npx pnpm@${PNPM_VERSION}`)
  pnpmCommand = ['npx', '--yes', `pnpm@${PNPM_VERSION}`]
}

function ensureInstalled() {
  const marker = path.join(root, 'node_modules', '.modules.yaml')
  const lock = path.join(root, 'pnpm-lock.yaml')
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return
  log('installing dependencies (pnpm install)…')
  const [cmd, cmdArgs] = pnpm('install', ...(process.env.CI ? ['--frozen-lockfile'] : []))
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(
      'fdb-live: `pnpm install` failed (see above); fix that first, then run this command again.',
    )
    process.exit(result.status ?? 1)
  }
}

/** Runs one step; exits the process if it fails or (with `deadlineMs`) outlives it. */
async function step(name, [cmd, cmdArgs], deadlineMs) {
  const started = Date.now()
  log(`${name}…`)
  const code = await run(cmd, cmdArgs, deadlineMs)
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  if (code !== 0) {
    console.error(`\x1b[31m✗ fdb-live: ${name} failed\x1b[0m (exit ${code}, ${seconds} s)`)
    process.exit(code)
  }
  log(`${name} passed (${seconds} s)`)
}

function run(cmd, cmdArgs, deadlineMs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, stdio: 'inherit' })
    const deadline =
      deadlineMs === undefined
        ? undefined
        : setTimeout(() => {
            console.error(
              `fdb-live: ${cmd} ran past its ${deadlineMs / 1000} s deadline; stopping it`,
            )
            child.kill('SIGTERM')
          }, deadlineMs)
    // Ctrl-C reaches the child through the terminal's process group; wait for it to finish
    // its own shutdown instead of dying first and orphaning it.
    const ignore = () => {}
    const forward = () => child.kill('SIGTERM')
    process.on('SIGINT', ignore)
    process.on('SIGTERM', forward)
    child.on('error', (error) => {
      console.error(`fdb-live: could not start ${cmd}: ${error.message}`)
      resolve(127)
    })
    child.on('exit', (code, signal) => {
      clearTimeout(deadline)
      process.off('SIGINT', ignore)
      process.off('SIGTERM', forward)
      resolve(code ?? (signal ? 1 : 0))
    })
  })
}

/** One closing line over all runners: `tests: N passed, N failed, N skipped`. */
function summarize(vitestJson, playwrightJson, doubleJsonl, faultJsons) {
  const unit = JSON.parse(readFileSync(vitestJson, 'utf8'))
  const faults = faultJsons
    .map((file) => JSON.parse(readFileSync(file, 'utf8')))
    .reduce(
      (sum, run) => ({
        passed: sum.passed + run.numPassedTests,
        failed: sum.failed + run.numFailedTests,
        skipped: sum.skipped + run.numPendingTests + run.numTodoTests,
      }),
      { passed: 0, failed: 0, skipped: 0 },
    )
  const e2e = JSON.parse(readFileSync(playwrightJson, 'utf8')).stats
  const double = readFileSync(doubleJsonl, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .reduce((sum, run) => ({ passed: sum.passed + run.passed, failed: sum.failed + run.failed }), {
      passed: 0,
      failed: 0,
    })
  console.log(
    `libfdb_c test double (C, plain + sanitizers): ${double.passed} passed, ${double.failed} failed`,
  )
  if (faultJsons.length > 0) {
    console.log(
      `FoundationDB suites under faults (test double, seeds ${FAULT_SEEDS.join(', ')}): ` +
        `${faults.passed} passed, ${faults.failed} failed, ${faults.skipped} skipped`,
    )
  }
  const passed =
    unit.numPassedTests + e2e.expected + (e2e.flaky ?? 0) + double.passed + faults.passed
  const failed = unit.numFailedTests + e2e.unexpected + double.failed + faults.failed
  const skipped = unit.numPendingTests + unit.numTodoTests + e2e.skipped + faults.skipped
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
}
