import { useState } from 'react'
import type { FormEvent } from 'react'
import { useMutation } from '@tanstack/react-query'

/** Props of {@link QuoteForm}. */
export interface QuoteFormProps {
  /** Prefix of the fields' `data-testid`s: `<prefix>-content`, `-author`, `-submit`, `-error`. */
  testIdPrefix: string
  submitLabel: string
  /** Height of the quote's text area. */
  rows: number
  /** The form's class, and its `data-testid`. */
  className?: string
  /** The write (through the API server); the page shows its result through the sync path. */
  save: (input: { author: string; content: string }) => Promise<unknown>
}

/** A quote and its author, sent with `save`; emptied once the write succeeded. */
export function QuoteForm({ testIdPrefix, submitLabel, rows, className, save }: QuoteFormProps) {
  const [author, setAuthor] = useState('')
  const [content, setContent] = useState('')
  const write = useMutation({
    mutationFn: () => save({ author, content }),
    onSuccess: () => {
      setAuthor('')
      setContent('')
    },
  })

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    write.mutate()
  }

  return (
    <form className={className} data-testid={className} onSubmit={submit}>
      <label>
        Quote
        <textarea
          name="content"
          data-testid={`${testIdPrefix}-content`}
          value={content}
          onChange={(event) => setContent(event.target.value)}
          rows={rows}
        />
      </label>
      <label>
        Author
        <input
          name="author"
          data-testid={`${testIdPrefix}-author`}
          value={author}
          onChange={(event) => setAuthor(event.target.value)}
        />
      </label>
      <button type="submit" data-testid={`${testIdPrefix}-submit`} disabled={write.isPending}>
        {submitLabel}
      </button>
      {write.isError && (
        <p role="alert" className="error" data-testid={`${testIdPrefix}-error`}>
          {write.error.message}
        </p>
      )}
    </form>
  )
}
