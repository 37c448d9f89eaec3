import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One scrape: the exposition text and its content type (prom-client's registry gives both). */
export interface Exposition {
  contentType: string
  body: string
}

/** A running metrics listener. */
export interface MetricsListener {
  /** `http://host:port`, the address it really listens on (port 0 picks one). */
  url: string
  close(): Promise<void>
}

/**
 * Listens on its own address and answers `GET /metrics` (and HEAD) with `render()`; anything
 * else gets 404, another method 405. Kept apart from the API's Fastify app so that the metrics
 * are never exposed with the API by accident, and so that a scrape works while the API is
 * shedding load. A failed render answers 500 without detail: the scraper records the target as
 * down, and nothing about the process leaks.
 */
export async function startMetricsListener(
  address: { host: string; port: number },
  render: () => Promise<Exposition>,
): Promise<MetricsListener> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/metrics') return answer(res, 404, 'not found\n')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      return answer(res, 405, 'method not allowed\n')
    }
    render().then(
      ({ contentType, body }) => answer(res, 200, body, contentType, req.method === 'HEAD'),
      () => answer(res, 500, 'metrics unavailable\n'),
    )
  })
  server.keepAliveTimeout = 5000
  server.headersTimeout = 5000
  server.requestTimeout = 10_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(address.port, address.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const host = address.host.includes(':') ? `[${address.host}]` : address.host
  return { url: `http://${host}:${port}`, close: () => closeServer(server) }
}

function answer(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
  headOnly = false,
) {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  })
  res.end(headOnly ? undefined : body)
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()))
    server.closeIdleConnections()
  })
}
