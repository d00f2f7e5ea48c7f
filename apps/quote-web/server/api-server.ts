import express from 'express'
import type { ErrorRequestHandler, Express, RequestHandler } from 'express'
import { SyncError, assertId, toSyncError } from '@fdb-live/core'
import type { Repo } from '@fdb-live/core'
import {
  Quote,
  QUOTE_TENANT,
  addQuote,
  changeQuote,
  deleteQuote,
  like,
} from '../src/quote-schema.js'
import { parseQuoteInput } from './quote-input.js'
import { tokenRoute, type TokenIssuerOptions } from './token-issuer.js'

/** Options for {@link createApiServer}. */
export interface ApiServerOptions {
  /** The records, on the same store the gateway watches. */
  repo: Repo
  /** The tenant the quotes live in. @default 'experiment-with-watches-in-liveview' */
  tenant?: string
  /** Called with every error that is not the caller's fault (5xx), for the log. */
  onError?: (error: unknown) => void
  /**
   * Issue gateway tokens at `POST /api/token` (the gateway checks tokens). Without it the
   * route answers `{"token":null}`: the gateway is open.
   */
  tokens?: Omit<TokenIssuerOptions, 'tenant'> | undefined
  /** Called with one line per request (not health checks), e.g. `POST /api/quotes/x/like 204 3 ms`. */
  onRequest?: (line: string) => void
}

/**
 * The demo's own API, the counterpart of the seed's `handle_event("like", …)`:
 *
 * - `GET /api/healthz` → `200 {"ok":true}` when the store answers.
 * - `POST /api/quotes/:id/like` → `204`. Like the seed's handler it does not answer with
 *   the new count: every tab, this one included, learns it from the gateway's stream.
 * - `POST /api/quotes/:id` with `{"author","content"}` → `200 {"version"}`: the change form.
 * - `GET /api/quotes` → `200 {"quotes":[{"id","version","value"}]}`: every quote, read from
 *   the store (ascending id, as "All quotes" shows them); for scripts and tests, the page
 *   reads the list through the gateway.
 * - `POST /api/quotes` with `{"author","content"}` → `201 {"id","version"}`: a new quote in
 *   "All quotes". `DELETE /api/quotes/:id` → `204`. Neither answer updates the page: the
 *   list changes through the gateway's stream, in every tab.
 * - `POST /api/token` → `{"token","expiresInSec"}`: a short-lived read-only token for the
 *   gateway (`token-issuer.ts`), or `{"token":null}` when the gateway is open.
 *
 * Errors are `{"error":{"code","message"}}` with the status of the code (docs/protocol.md).
 */
export function createApiServer(options: ApiServerOptions): Express {
  const tenant = options.repo.tenant(options.tenant ?? QUOTE_TENANT)
  const app = express()
  app.disable('x-powered-by')
  const onRequest = options.onRequest
  if (onRequest !== undefined) {
    app.use((req, res, next) => {
      if (req.path === '/api/healthz') return next()
      const started = performance.now()
      res.on('finish', () => {
        const ms = (performance.now() - started).toFixed(0)
        onRequest(`${req.method} ${req.originalUrl} ${res.statusCode} ${ms} ms`)
      })
      next()
    })
  }

  app.get('/api/healthz', async (_req, res) => {
    await options.repo.store.ping()
    res.json({ ok: true })
  })

  const tenantName = options.tenant ?? QUOTE_TENANT
  app.post(
    '/api/token',
    options.tokens === undefined
      ? (_req, res) => void res.set('Cache-Control', 'no-store').json({ token: null })
      : tokenRoute({ ...options.tokens, tenant: tenantName }),
  )

  app.post('/api/quotes/:id/like', async (req, res) => {
    await like(tenant, validId(req.params.id))
    res.status(204).end()
  })

  app.get('/api/quotes', async (_req, res) => {
    const quotes = await tenant.list(Quote)
    res.set('Cache-Control', 'no-store').json({ quotes })
  })

  app.post('/api/quotes', requireJson, express.json({ limit: '16kb' }), async (req, res) => {
    const input = parseQuoteInput(req.body)
    const { id, version } = await addQuote(tenant, input.author, input.content)
    res.status(201).json({ id, version })
  })

  app.delete('/api/quotes/:id', async (req, res) => {
    await deleteQuote(tenant, validId(req.params.id))
    res.status(204).end()
  })

  app.post('/api/quotes/:id', requireJson, express.json({ limit: '16kb' }), async (req, res) => {
    const id = validId(req.params.id)
    const input = parseQuoteInput(req.body)
    const { version } = await changeQuote(tenant, id, input.author, input.content)
    res.json({ version })
  })

  app.use('/api', (req, _res, next) => {
    next(new SyncError('route_not_found', `No route ${req.method} ${req.originalUrl}.`))
  })
  app.use(errorHandler(options.onError))
  return app
}

function validId(id: string | string[] | undefined): string {
  assertId(id)
  return id
}

const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    next(
      new SyncError('unsupported_media_type', 'Send the body as Content-Type: application/json.'),
    )
    return
  }
  next()
}

/** Converts body-parser's errors and anything unknown once, at the HTTP boundary. */
function errorHandler(onError: ((error: unknown) => void) | undefined): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const syncError = fromHttpError(error) ?? toSyncError(error)
    if (syncError.httpStatus >= 500) onError?.(error)
    res.status(syncError.httpStatus).json(syncError.toJSON())
  }
}

function fromHttpError(error: unknown): SyncError | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined
  switch (error.type) {
    case 'entity.parse.failed':
      return new SyncError('invalid_request', 'The body is not valid JSON.')
    case 'entity.too.large':
      return new SyncError('payload_too_large', 'The body is too large (the limit is 16 KiB).')
    default:
      return undefined
  }
}
