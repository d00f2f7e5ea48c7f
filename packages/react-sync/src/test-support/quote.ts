import { defineSchema } from '@fdb-live/core'

/** The seed's quote, as tests use it. */
export interface QuoteDoc {
  author: string
  content: string
  likes: number
}

export const Quote = defineSchema<QuoteDoc>('quotes')

export const quote = (content: string, likes = 0): QuoteDoc => ({ author: 'Test', content, likes })
