import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertErrorResponse, rawExchange } from '../support/raw-http.js'
import { type RunningServer, startServer } from '../support/server-process.js'

const env = {
  PORTCULLIS_ARGON2_MEMORY_KIB: '256',
  PORTCULLIS_ARGON2_ITERATIONS: '1',
  PORTCULLIS_ISSUER: 'http://portcullis.test',
  PORTCULLIS_DATABASE_URL: 'sqlite::memory:',
  PORTCULLIS_CORS_ORIGINS: 'https://app.example.com',
}

describe('errors raised before routing, over a real connection', () => {
  let server: RunningServer
  before(async () => {
    server = await startServer(env)
  })
  after(() => server.stop())
  const send = (data: string) => rawExchange(server.url, data)

  it('answers a malformed header line with 400 invalid_request in the error shape', async () => {
    const response = await send('GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n')
    assertErrorResponse(response, 400, 'invalid_request')
  })

  it('answers a request line that is not HTTP with 400 invalid_request', async () => {
    assertErrorResponse(await send('NOT HTTP AT ALL\r\n\r\n'), 400, 'invalid_request')
  })

  it('answers headers over 16 KiB with 431 headers_too_large', async () => {
    const response = await send(
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    )
    assertErrorResponse(response, 431, 'headers_too_large')
  })

  it('refuses an HTTP/1.1 request without Host, or with two, with 400 invalid_request', async () => {
    const none = await send('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n')
    assertErrorResponse(none, 400, 'invalid_request')
    assert.match(JSON.parse(none.body).error_description, /Host/)
    const two = await send(
      'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n',
    )
    assertErrorResponse(two, 400, 'invalid_request')
    assert.match(JSON.parse(two.body).error_description, /more than one Host/)
  })

  it('still serves HTTP/1.0 without Host, which that version does not require', async () => {
    const response = await send('GET /healthz HTTP/1.0\r\n\r\n')
    assert.equal(response.status, 200, response.body)
  })

  for (const version of ['0.9', '1.2', '2.0', '3.0']) {
    it(`refuses an HTTP/${version} request line with 505 http_version_not_supported`, async () => {
      const response = await send(
        `GET /healthz HTTP/${version}\r\nHost: x\r\nConnection: close\r\n\r\n`,
      )
      assertErrorResponse(response, 505, 'http_version_not_supported')
    })
  }

  it('refuses a CORS preflight without Access-Control-Request-Method with 400 in the error shape', async () => {
    const response = await send(
      'OPTIONS /token HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\nConnection: close\r\n\r\n',
    )
    assertErrorResponse(response, 400, 'invalid_request')
    assert.match(JSON.parse(response.body).error_description, /Access-Control-Request-Method/)
  })

  it('still answers a complete preflight with 204', async () => {
    const response = await send(
      'OPTIONS /token HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n',
    )
    assert.equal(response.status, 204)
    assert.equal(response.headers['access-control-allow-origin'], 'https://app.example.com')
  })
})
