import { FAVORITE_QUOTE_ID } from './quote-schema.js'
import { postQuote } from './api.js'
import { QuoteForm } from './quote-form.js'

/**
 * A small form to change the favorite quote, the page's `ChangeFavoriteQuote.to/3`.
 * Folded away by default so that the page still looks like the seed's.
 */
export function ChangeQuoteForm() {
  return (
    <details className="change-quote" data-testid="change-quote">
      <summary>Change the quote</summary>
      <QuoteForm
        testIdPrefix="change"
        submitLabel="Change"
        rows={3}
        save={(input) => postQuote(FAVORITE_QUOTE_ID, input)}
      />
    </details>
  )
}
