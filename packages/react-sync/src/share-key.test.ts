import './test-support/node-typed-arrays.js'
import { signTokenForTesting } from '@fdb-live/gateway/test-support'
import { describe, expect, test } from 'vitest'
import { resolveShareKey, tokenSubject } from './share-key.js'
import { createTokenSource } from './token-source.js'

describe('the cross-tab share key', () => {
  test("is the token's sub (decoded without verifying), for any signing key", async () => {
    const token = await signTokenForTesting({ sub: 'ann', key: new Uint8Array(32).fill(7) })
    expect(tokenSubject(token)).toBe('sub:ann')
  })

  test('a token without a readable sub gives no key: the tab does not share', async () => {
    expect(tokenSubject(await signTokenForTesting({}))).toBeUndefined()
    expect(tokenSubject('opaque-session-token')).toBeUndefined()
    expect(tokenSubject('a.%%%.c')).toBeUndefined()
    const tokens = createTokenSource(() => 'opaque')
    expect(await resolveShareKey(undefined, tokens)).toBeUndefined()
  })

  test('an explicit shareKey wins; without getToken every tab shares one key', async () => {
    const tokens = createTokenSource(() => signTokenForTesting({ sub: 'ann' }))
    expect(await resolveShareKey('device-1', tokens)).toBe('device-1')
    expect(await resolveShareKey(undefined, undefined)).toBe('')
  })
})
