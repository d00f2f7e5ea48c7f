import { describe, expect, it } from 'vitest'
import { isSyncError } from '@fdb-live/core'
import { parseSubscriptionBody, parseSubscriptionQuery } from './subscriptions.js'

const V = '0000000000000001000a'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return isSyncError(error) ? error.code : 'not a SyncError'
  }
  return undefined
}

describe('parseSubscriptionQuery', () => {
  it('decodes each part separately, so ids may hold / and @', () => {
    const raw = `sub=quotes/${encodeURIComponent('a/b@c')}@${V}&sub=notes/${encodeURIComponent('x y+z')}&other=1`
    expect(parseSubscriptionQuery(raw, 10)).toEqual([
      { schema: 'quotes', id: 'a/b@c', since: V },
      { schema: 'notes', id: 'x y+z' },
    ])
  })

  it('counts records, not repeats, against the limit: a list that names 3 records twice fits a limit of 3', () => {
    const raw = ['a', 'b', 'c', 'a', 'b', 'c'].map((id) => `sub=q/${id}`).join('&')
    expect(parseSubscriptionQuery(raw, 3)).toHaveLength(3)
    const body = { subscriptions: ['a', 'b', 'c', 'a'].map((id) => ({ schema: 'q', id })) }
    expect(parseSubscriptionBody(body, 3)).toHaveLength(3)
    expect(codeOf(() => parseSubscriptionBody(body, 2))).toBe('too_many_subscriptions')
  })

  it('merges duplicates, the last since winning', () => {
    expect(parseSubscriptionQuery(`sub=q/a@${V}&sub=q/b&sub=q/a`, 10)).toEqual([
      { schema: 'q', id: 'b' },
      { schema: 'q', id: 'a' },
    ])
  })

  it('rejects malformed parameters with the protocol codes', () => {
    expect(codeOf(() => parseSubscriptionQuery('sub=quotes', 10))).toBe('invalid_request')
    expect(codeOf(() => parseSubscriptionQuery('sub', 10))).toBe('invalid_request')
    expect(codeOf(() => parseSubscriptionQuery('sub=q/%E0%A4%A', 10))).toBe('invalid_request')
    expect(codeOf(() => parseSubscriptionQuery('sub=q/a@ABC', 10))).toBe('invalid_version')
    expect(codeOf(() => parseSubscriptionQuery('sub=q/', 10))).toBe('invalid_id')
    expect(codeOf(() => parseSubscriptionQuery('sub=_q/a', 10))).toBe('invalid_schema')
    expect(codeOf(() => parseSubscriptionQuery('sub=q/a&sub=q/b', 1))).toBe(
      'too_many_subscriptions',
    )
  })
})

describe('parseSubscriptionBody', () => {
  it('accepts the documented shape and an empty list', () => {
    expect(
      parseSubscriptionBody({ subscriptions: [{ schema: 'q', id: 'a', since: V, extra: 1 }] }, 5),
    ).toEqual([{ schema: 'q', id: 'a', since: V }])
    expect(parseSubscriptionBody({ subscriptions: [] }, 5)).toEqual([])
  })

  it('rejects other shapes', () => {
    for (const body of [
      null,
      [],
      'x',
      {},
      { subscriptions: 'q/a' },
      { subscriptions: [null] },
      { subscriptions: [['q', 'a']] },
    ]) {
      expect(codeOf(() => parseSubscriptionBody(body, 5))).toBe('invalid_request')
    }
    expect(
      codeOf(() => parseSubscriptionBody({ subscriptions: [{ schema: 'q', id: 7 }] }, 5)),
    ).toBe('invalid_id')
    expect(
      codeOf(() =>
        parseSubscriptionBody({ subscriptions: [{ schema: 'q', id: 'a', since: 5 }] }, 5),
      ),
    ).toBe('invalid_version')
  })
})
