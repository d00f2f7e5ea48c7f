import { defineSchema, SyncError } from '@fdb-live/core'
import type { TenantRepo, WriteResult } from '@fdb-live/core'

/**
 * The favorite quote, shared by the page (which only needs the schema's name and type)
 * and the servers (which also run the commands below). Like the seed's `Quote` module.
 */
export interface QuoteDoc {
  author: string
  content: string
  likes: number
  /** When the quote became the favorite: UTC, whole seconds, ISO 8601 (`2026-11-24T17:30:00Z`). */
  as_of: string
}

/** The `quotes` schema. */
export const Quote = defineSchema<QuoteDoc>('quotes')

/** The tenant the seed opens: `Tenant.open!(Repo, "experiment-with-watches-in-liveview")`. */
export const QUOTE_TENANT = 'experiment-with-watches-in-liveview'

/** The one quote the page shows. */
export const FAVORITE_QUOTE_ID = 'my-favorite-quote'

/** The seed's first quote. */
export const FIRST_QUOTE = {
  author: 'Philippe Verdoux',
  content: 'Enlightenment leads to benightedness; Science entails nescience.',
} as const

/** Now, in UTC, to the second, like Elixir's `NaiveDateTime.utc_now(:second)`. */
export function utcNowToSecond(now: Date = new Date()): string {
  return now.toISOString().slice(0, 19) + 'Z'
}

/**
 * Adds one like, as ONE transaction (read, then write likes + 1), so that concurrent
 * likes from many tabs are never lost: a conflicting transaction is retried by the store.
 * Throws `not_found` when the quote does not exist.
 */
export async function like(tenant: TenantRepo, id: string): Promise<QuoteDoc> {
  return tenant.transact(async (tx) => {
    const quote = await tx.get(Quote, id)
    if (quote === null)
      throw new SyncError('not_found', `There is no quote with id ${JSON.stringify(id)}.`)
    const liked = { ...quote.value, likes: quote.value.likes + 1 }
    await tx.update(Quote, id, liked)
    return liked
  })
}

/**
 * Changes a quote, like the seed's `ChangeFavoriteQuote.to/3`: new author and content,
 * `as_of` now, likes back to 0. Creates the quote when it does not exist yet, so that
 * `pnpm change-quote` also works on an empty data directory.
 */
export function changeQuote(
  tenant: TenantRepo,
  id: string,
  author: string,
  content: string,
): Promise<WriteResult> {
  return tenant.put(Quote, id, { author, content, as_of: utcNowToSecond(), likes: 0 })
}

/** `ChangeFavoriteQuote.to(tenant, author, content)`. */
export function changeFavoriteQuote(
  tenant: TenantRepo,
  author: string,
  content: string,
): Promise<WriteResult> {
  return changeQuote(tenant, FAVORITE_QUOTE_ID, author, content)
}

/**
 * A new quote's id: `q-` and the time in milliseconds (base 36, fixed width), then a
 * random suffix. The list shows quotes in ascending id order (the store's key order), so
 * new quotes come last, in the order they were added.
 */
export function newQuoteId(now: number = Date.now()): string {
  const time = now.toString(36).padStart(9, '0')
  const random = Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0')
  return `q-${time}-${random}`
}

/** Adds a quote to "All quotes": a new id, `as_of` now, likes 0. */
export async function addQuote(
  tenant: TenantRepo,
  author: string,
  content: string,
): Promise<WriteResult & { id: string }> {
  const id = newQuoteId()
  const result = await tenant.put(Quote, id, { author, content, as_of: utcNowToSecond(), likes: 0 })
  return { ...result, id }
}

/** Deletes a quote (the favorite one too: the page then says there is none). */
export async function deleteQuote(tenant: TenantRepo, id: string): Promise<void> {
  await tenant.delete(Quote, id)
}

/** Writes the seed's first quote with replace-on-conflict (`on_conflict: :replace_all`). */
export function seedFirstQuote(tenant: TenantRepo): Promise<WriteResult> {
  return changeFavoriteQuote(tenant, FIRST_QUOTE.author, FIRST_QUOTE.content)
}
