/**
 * What `useSyncOne` costs per row: the reads hooks make of the cache and of their record's
 * status while 150, 600 and 1,000 rows mount (until all are live), and for one push to one
 * row. They should grow linearly with the rows mounted, and stay constant per push.
 *
 *   node --conditions=@fdb-live/source --import tsx bench/react-hooks.ts
 *
 * React DOM runs on jsdom in this process, against a real gateway on the embedded store.
 * Writes bench/results/react-hooks.json (BENCH_SMOKE=1: into the temporary directory).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestGateway } from '../packages/gateway/src/test-support/start-test-gateway.js'
import {
  installDomForTesting,
  measureHookCostForTesting,
} from '../packages/react-sync/src/test-support/hook-cost.js'
import { Quote, quote } from '../packages/react-sync/src/test-support/quote.js'

installDomForTesting()
const sizes = (process.env['BENCH_ROWS'] ?? '150,600,1000').split(',').map(Number)
const rowsOut: Array<{
  rows: number
  mountReads: number
  readsPerRow: number
  pushReads: number
  mountMs: number
}> = []
const gateway = await startTestGateway()
const tenant = gateway.repo.tenant('bench')
try {
  console.log('rows\tmount reads\treads per row\tpush reads\tmount ms')
  for (const rows of sizes) {
    const ids = Array.from({ length: rows }, (_, i) => `r${rows}-${i}`)
    for (const id of ids) await tenant.put(Quote, id, quote(`${id} v1`))
    let n = 1
    const cost = await measureHookCostForTesting({
      gatewayUrl: gateway.url,
      tenant: 'bench',
      ids,
      push: async () => {
        const content = `${ids[0]} v${++n}`
        await tenant.put(Quote, ids[0]!, quote(content))
        return content
      },
    })
    const perRow = (cost.mountReads / rows).toFixed(1)
    rowsOut.push({
      rows,
      mountReads: cost.mountReads,
      readsPerRow: cost.mountReads / rows,
      pushReads: cost.pushReads,
      mountMs: Math.round(cost.mountMs),
    })
    console.log(
      `${rows}\t${cost.mountReads}\t${perRow}\t${cost.pushReads}\t${cost.mountMs.toFixed(0)}`,
    )
  }
} finally {
  await gateway.close()
}
const out =
  process.env['BENCH_SMOKE'] === '1'
    ? path.join(os.tmpdir(), 'fdb-live-react-hooks-smoke.json')
    : path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'react-hooks.json')
fs.writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), environment: 'jsdom', loadAverage: os.loadavg(), rows: rowsOut }, null, 2)}\n`,
)
console.error(`[bench:react-hooks] wrote ${out}`)
