/** The demo API's error body: `{"error":{"code","message"}}`. */
interface ErrorBody {
  error?: { code?: string; message?: string }
}

/** An error answered by the demo's API server, with its message for the page. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

async function post(path: string, body?: unknown, method = 'POST'): Promise<Response> {
  const response = await fetch(path, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  })
  if (response.ok) return response
  const parsed = (await response.json().catch(() => ({}))) as ErrorBody
  throw new ApiError(
    response.status,
    parsed.error?.code ?? 'http_error',
    parsed.error?.message ?? `The server answered ${response.status} ${response.statusText}.`,
  )
}

/** Adds a like. Resolves with nothing: the new count arrives through the gateway's stream. */
export async function postLike(id: string): Promise<void> {
  await post(`/api/quotes/${encodeURIComponent(id)}/like`)
}

/** Changes the quote (author, content, as_of now, likes 0). */
export async function postQuote(
  id: string,
  input: { author: string; content: string },
): Promise<void> {
  await post(`/api/quotes/${encodeURIComponent(id)}`, input)
}

/** Adds a quote to "All quotes". It shows up through the gateway's stream, in every tab. */
export async function postNewQuote(input: { author: string; content: string }): Promise<void> {
  await post('/api/quotes', input)
}

/** Deletes a quote. Its row leaves through the gateway's stream, in every tab. */
export async function deleteQuote(id: string): Promise<void> {
  await post(`/api/quotes/${encodeURIComponent(id)}`, undefined, 'DELETE')
}
