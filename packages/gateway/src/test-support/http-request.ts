import http from 'node:http'

/** A raw HTTP answer, read to the end. */
export interface RawResponseForTesting {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
  json: () => unknown
}

/** Options for {@link requestForTesting}. */
export interface RawRequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: string | Buffer
  /** Connect from this local address (e.g. `127.0.0.2`: another client address on loopback). */
  localAddress?: string
  /** An agent, to reuse connections; default: a new connection per request. */
  agent?: http.Agent
}

/** A raw request over node:http, so a test can send what `fetch` refuses to. */
export function requestForTesting(
  url: string,
  options: RawRequestOptions = {},
): Promise<RawResponseForTesting> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: options.agent ?? false,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    })
    req.once('error', reject)
    req.once('response', (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.once('error', reject)
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: () => JSON.parse(body) as unknown,
        }),
      )
    })
    req.end(options.body)
  })
}
