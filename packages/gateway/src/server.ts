import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createGateway, type Gateway, type GatewayOptions } from './create-gateway.js'
import { answerClientError } from './http-errors.js'

/** Options for {@link startGateway}: the gateway's options plus where to listen. */
export interface StartGatewayOptions extends GatewayOptions {
  /** TCP port; 0 picks a free one. @default 4001 */
  port?: number
  /** Interface to bind. @default '127.0.0.1' */
  host?: string
  /** How long `close()` lets connections finish before cutting them. @default 2000 */
  closeGraceMs?: number
  /**
   * Headers set on every response before the app sees the request (`fdb-live gateway
   * --workers N` names the worker that answered: `X-Fdb-Live-Worker`). @default {}
   */
  responseHeaders?: Readonly<Record<string, string>>
}

/** A gateway listening on a port. */
export interface RunningGateway {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string
  readonly port: number
  readonly gateway: Gateway
  /**
   * Stops accepting connections, ends every stream, releases every watch and waits for
   * the connections to close. The store stays open: its owner closes it.
   */
  close(): Promise<void>
}

/** Starts a gateway on its own HTTP server. */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const { port = 4001, host = '127.0.0.1', closeGraceMs = 2000, responseHeaders = {} } = options
  const gateway = createGateway(options)
  const headers = Object.entries(responseHeaders)
  const server = http.createServer(
    headers.length === 0
      ? gateway.app
      : (req, res) => {
          for (const [name, value] of headers) res.setHeader(name, value)
          gateway.app(req, res)
        },
  )
  server.on('clientError', answerClientError)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = (server.address() as AddressInfo).port
  const urlHost = host.includes(':') ? `[${host}]` : host
  let closing: Promise<void> | undefined
  return {
    url: `http://${urlHost}:${bound}`,
    port: bound,
    gateway,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        await gateway.close()
        server.closeIdleConnections()
        const force = setTimeout(() => server.closeAllConnections(), closeGraceMs)
        force.unref()
        await closed
        clearTimeout(force)
      })()
      return closing
    },
  }
}
