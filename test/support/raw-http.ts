import assert from 'node:assert/strict'
import { connect } from 'node:net'

/** A response read off a raw socket. */
export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
  /** Milliseconds from connecting until the server closed the connection. */
  ms: number
}

/** Parses the bytes of one HTTP/1.1 response (Content-Length framed or empty body). */
export function parseRawResponse(raw: string, ms = 0): RawResponse {
  const end = raw.indexOf('\r\n\r\n')
  assert.ok(end > 0, `not an HTTP response: ${JSON.stringify(raw)}`)
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n')
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine)
  assert.ok(match?.[1], `bad status line: ${JSON.stringify(statusLine)}`)
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(match[1]), headers, body: raw.slice(end + 4), ms }
}

/**
 * Connects to `url`, writes `data` as it is (then nothing more: a request left incomplete
 * stalls), and resolves with what the server answered once it closes the connection. Gives up
 * after `limitMs`, so a server that never answers fails the test instead of hanging it.
 */
export function rawExchange(url: string, data: string, limitMs = 8000): Promise<RawResponse> {
  const { hostname, port } = new URL(url)
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(data))
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk) => {
      received += chunk
    })
    socket.on('error', () => {})
    socket.setTimeout(limitMs, () => {
      socket.destroy()
      reject(new Error(`no answer within ${limitMs} ms; received ${JSON.stringify(received)}`))
    })
    socket.on('close', () => {
      try {
        resolve(parseRawResponse(received, Date.now() - started))
      } catch (error) {
        reject(error)
      }
    })
  })
}

/**
 * Asserts the documented error answer: the status, a JSON body of exactly
 * `{error, error_description}` with the given code, and the four security headers.
 */
export function assertErrorResponse(response: RawResponse, status: number, code: string) {
  assert.equal(response.status, status, response.body)
  assert.match(response.headers['content-type'] ?? '', /^application\/json/)
  const body = JSON.parse(response.body) as Record<string, unknown>
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'])
  assert.equal(body.error, code)
  assert.equal(typeof body.error_description, 'string')
  assert.equal(response.headers['x-content-type-options'], 'nosniff')
  assert.equal(response.headers['referrer-policy'], 'no-referrer')
  assert.equal(response.headers['content-security-policy'], "frame-ancestors 'none'")
  assert.equal(response.headers['cache-control'], 'no-store')
}
