import { useMutation } from '@tanstack/react-query'
import { useSyncOne } from '@fdb-live/react-sync'
import { FAVORITE_QUOTE_ID, Quote } from './quote-schema.js'
import { postLike } from './api.js'

/** `2026-11-24T17:30:00Z` → `2026-11-24 17:30:00`, as Elixir prints a NaiveDateTime. */
function formatAsOf(asOf: string): string {
  return asOf.replace('T', ' ').replace(/Z$/, '')
}

/**
 * The quote, its likes and the Like button. The button only asks the API server for a
 * like; like the seed's `handle_event("like", …)`, nothing here writes the new count into
 * the page: it comes back through the gateway's stream, to this tab and every other one.
 */
export function FavoriteQuote() {
  const quote = useSyncOne(Quote, FAVORITE_QUOTE_ID)
  const likeMutation = useMutation({ mutationFn: () => postLike(FAVORITE_QUOTE_ID) })

  if (quote.isPending) return <p data-testid="quote-loading">Loading the quote…</p>
  if (quote.isError) {
    return (
      <p role="alert" data-testid="quote-error">
        Cannot load the quote: {quote.error.message}
      </p>
    )
  }
  if (quote.data === null) {
    return (
      <p data-testid="quote-missing">
        There is no favorite quote yet: <code>pnpm change-quote "Author" "Quote"</code>
      </p>
    )
  }

  const { as_of, content, author, likes } = quote.data
  return (
    <article data-testid="quote" data-version={quote.version}>
      <h6 data-testid="quote-as-of">as of {formatAsOf(as_of)} UTC</h6>
      <p data-testid="quote-content">{content}</p>
      <h3 data-testid="quote-author">- {author}</h3>
      <p>
        Likes: <span data-testid="quote-likes">{likes}</span> 👍{' '}
        <button type="button" data-testid="like-button" onClick={() => likeMutation.mutate()}>
          Like
        </button>
      </p>
      {likeMutation.isError && (
        <p role="alert" className="error" data-testid="like-error">
          {likeMutation.error.message}
        </p>
      )}
    </article>
  )
}
