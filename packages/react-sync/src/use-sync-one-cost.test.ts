import './test-support/node-typed-arrays.js'
import { startTestGatewayForTesting } from '@fdb-live/gateway/test-support'
import { expect, test } from 'vitest'
import { measureHookCostForTesting } from './test-support/hook-cost.js'
import { Quote, quote } from './test-support/quote.js'

test('mounting 200 rows costs O(n) hook reads, and a push to one row O(1)', async () => {
  await using gateway = await startTestGatewayForTesting()
  const tenant = gateway.repo.tenant('acme')
  const ids = Array.from({ length: 200 }, (_, i) => `row${i}`)
  for (const id of ids) await tenant.put(Quote, id, quote(`${id} v1`))

  const cost = await measureHookCostForTesting({
    gatewayUrl: gateway.url,
    tenant: 'acme',
    ids,
    push: async () => {
      await tenant.put(Quote, 'row0', quote('row0 v2'))
      return 'row0 v2'
    },
  })
  // A page of 200 rows stays responsive: each hook reads its own record a bounded number of
  // times (before: every hook re-read on every cache event, ~280,000 reads, and 600 per push).
  expect(cost.mountReads / ids.length).toBeLessThan(40)
  expect(cost.pushReads).toBeLessThan(20)
})
