import { memo } from 'react'
import { useMutation } from '@tanstack/react-query'
import { useSyncList, type SyncListMember } from '@fdb-live/react-sync'
import { Quote, type QuoteDoc } from './quote-schema.js'
import { deleteQuote, postLike, postNewQuote } from './api.js'
import { QuoteForm } from './quote-form.js'

/**
 * "All quotes": every quote of the tenant, live (`useSyncList(Quote)`, the whole schema), in
 * ascending id order, so new quotes come last. Adding, deleting and liking only ask the API
 * server; the list changes through the gateway's stream, in this tab and every other one.
 */
export function AllQuotes() {
  const quotes = useSyncList(Quote)
  return (
    <section className="all-quotes" data-testid="all-quotes" data-sync={quotes.syncStatus}>
      <h2>All quotes</h2>
      {quotes.isPending ? (
        <p data-testid="all-quotes-loading">Loading the quotes…</p>
      ) : quotes.isError ? (
        <p role="alert" data-testid="all-quotes-error">
          Cannot load the quotes: {quotes.error.message}
        </p>
      ) : quotes.data.length === 0 ? (
        <p data-testid="all-quotes-empty">No quotes yet.</p>
      ) : (
        <ul data-testid="all-quotes-list" data-count={quotes.data.length}>
          {quotes.data.map((member) => (
            <QuoteRow key={member.id} member={member} />
          ))}
        </ul>
      )}
      <AddQuoteForm />
    </section>
  )
}

/** One quote; the member object stays the same while the quote does, so `memo` skips it. */
const QuoteRow = memo(function QuoteRow({ member }: { member: SyncListMember<QuoteDoc> }) {
  const like = useMutation({ mutationFn: () => postLike(member.id) })
  const remove = useMutation({ mutationFn: () => deleteQuote(member.id) })
  const { content, author, likes } = member.value
  const error = like.error ?? remove.error
  return (
    <li
      className="quote-row"
      data-testid="quote-row"
      data-id={member.id}
      data-version={member.version}
    >
      <p className="quote-row__content" data-testid="row-content">
        {content}
      </p>
      <p className="quote-row__meta">
        <span data-testid="row-author">- {author}</span> · Likes:{' '}
        <span data-testid="row-likes">{likes}</span>{' '}
        <button type="button" data-testid="row-like" onClick={() => like.mutate()}>
          Like
        </button>{' '}
        <button
          type="button"
          data-testid="row-delete"
          disabled={remove.isPending}
          onClick={() => remove.mutate()}
        >
          Delete
        </button>
      </p>
      {error !== null && (
        <p role="alert" className="error" data-testid="row-error">
          {error.message}
        </p>
      )}
    </li>
  )
})

/** Adds a quote (the API server picks its id). */
function AddQuoteForm() {
  return (
    <QuoteForm
      className="add-quote"
      testIdPrefix="add"
      submitLabel="Add"
      rows={2}
      save={postNewQuote}
    />
  )
}
