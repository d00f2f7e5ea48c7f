import { fileURLToPath } from 'node:url'
import { configDefaults, defineConfig } from 'vitest/config'

// Tests run from source: the `@fdb-live/source` export condition points each workspace
// package at its `src/index.ts`, so no build is needed before `vitest`.
export default defineConfig({
  resolve: { conditions: ['@fdb-live/source'] },
  ssr: { resolve: { conditions: ['@fdb-live/source'], externalConditions: ['@fdb-live/source'] } },
  test: {
    globalSetup: [fileURLToPath(new URL('./vitest.fdb-setup.ts', import.meta.url))],
    // `tsc -b` compiles tests into dist/ too; run each test once, from source.
    exclude: [...configDefaults.exclude, '**/dist/**'],
    projects: [
      {
        extends: true,
        test: {
          name: 'core',
          root: 'packages/core',
          environment: 'node',
          testTimeout: 30_000,
          typecheck: { enabled: false },
        },
      },
      {
        extends: true,
        test: {
          name: 'gateway',
          root: 'packages/gateway',
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'react-sync',
          root: 'packages/react-sync',
          environment: 'jsdom',
          testTimeout: 30_000,
          typecheck: {
            enabled: true,
            include: ['src/**/*.test-d.ts'],
            // Resolves @fdb-live/core to its source: no `pnpm build` needed first.
            tsconfig: './tsconfig.typecheck.json',
          },
        },
      },
      {
        // The same integration tests with every test gateway on the FoundationDB store
        // (vitest.fdb-setup.ts: the libfdb_c test double unless FDB_CLUSTER_FILE is set).
        extends: true,
        test: {
          name: 'react-sync · fdb store',
          root: 'packages/react-sync',
          environment: 'jsdom',
          testTimeout: 30_000,
          env: { FDB_LIVE_TEST_STORE: 'fdb' },
          typecheck: { enabled: false },
        },
      },
      {
        // The benchmarks' own statistics (the benchmarks themselves are never timed tests).
        extends: true,
        test: { name: 'bench', root: 'bench', environment: 'node', include: ['*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'quote-web',
          root: 'apps/quote-web',
          environment: 'node',
          testTimeout: 30_000,
        },
      },
    ],
  },
})
