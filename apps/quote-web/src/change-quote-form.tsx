import { useState } from 'react'
import type { FormEvent } from 'react'
import { useMutation } from '@tanstack/react-query'
import { FAVORITE_QUOTE_ID } from './quote-schema.js'
import { postQuote } from './api.js'

/**
 * A small form to change the favorite quote, the page's `ChangeFavoriteQuote.to/3`.
 * Folded away by default so that the page still looks like the seed's.
 */
export function ChangeQuoteForm() {
  const [author, setAuthor] = useState('')
  const [content, setContent] = useState('')
  const change = useMutation({
    mutationFn: () => postQuote(FAVORITE_QUOTE_ID, { author, content }),
    onSuccess: () => {
      setAuthor('')
      setContent('')
    },
  })

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    change.mutate()
  }

  return (
    <details className="change-quote" data-testid="change-quote">
      <summary>Change the quote</summary>
      <form onSubmit={submit}>
        <label>
          Quote
          <textarea
            name="content"
            data-testid="change-content"
            value={content}
            onChange={(event) => setContent(event.target.value)}
            rows={3}
          />
        </label>
        <label>
          Author
          <input
            name="author"
            data-testid="change-author"
            value={author}
            onChange={(event) => setAuthor(event.target.value)}
          />
        </label>
        <button type="submit" data-testid="change-submit" disabled={change.isPending}>
          Change
        </button>
        {change.isError && (
          <p role="alert" className="error" data-testid="change-error">
            {change.error.message}
          </p>
        )}
      </form>
    </details>
  )
}
