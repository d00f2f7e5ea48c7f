import { SyncError } from '@fdb-live/core'

/** Longest author the change form accepts, in characters. */
export const MAX_AUTHOR_LENGTH = 200
/** Longest quote the change form accepts, in characters. */
export const MAX_CONTENT_LENGTH = 2_000

/** A validated body of `POST /api/quotes/:id`. */
export interface QuoteInput {
  author: string
  content: string
}

/**
 * Validates the change form's body: `{author, content}`, both non-empty strings (after
 * trimming) within the length limits. Throws `invalid_request` naming the field to fix.
 */
export function parseQuoteInput(body: unknown): QuoteInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SyncError('invalid_request', 'Send a JSON object: {"author": "…", "content": "…"}.')
  }
  const record = body as Record<string, unknown>
  return {
    author: requireText(record, 'author', MAX_AUTHOR_LENGTH),
    content: requireText(record, 'content', MAX_CONTENT_LENGTH),
  }
}

function requireText(body: Record<string, unknown>, field: string, maxLength: number): string {
  const value = body[field]
  if (typeof value !== 'string') {
    throw new SyncError('invalid_request', `"${field}" is required and must be a string.`)
  }
  const text = value.trim()
  if (text.length === 0) {
    throw new SyncError('invalid_request', `"${field}" must not be empty.`)
  }
  if (text.length > maxLength) {
    throw new SyncError(
      'invalid_request',
      `"${field}" is ${text.length} characters long; the limit is ${maxLength}.`,
    )
  }
  return text
}
