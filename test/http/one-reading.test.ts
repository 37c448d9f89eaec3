import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { basic, buildTestApp, createClient, PASSWORD, type TestApp } from '../helpers.js'
import { assertErrorResponse, type RawResponse, rawExchange } from '../support/raw-http.js'

/** A test app listening on a real port. */
async function listening(t: TestContext) {
  const test = await buildTestApp(t)
  const url = await test.app.listen({ host: '127.0.0.1', port: 0 })
  return { ...test, url }
}

/** Sends one request over a raw socket: `headers` as lines, in order, repeats kept. */
function send(url: string, method: string, path: string, headers: string[], body = '') {
  const head = [
    `${method} ${path} HTTP/1.1`,
    'Host: portcullis.test',
    'Connection: close',
    ...headers,
    `Content-Length: ${Buffer.byteLength(body)}`,
  ]
  return rawExchange(url, `${head.join('\r\n')}\r\n\r\n${body}`)
}

const json = (res: RawResponse) => JSON.parse(res.body) as Record<string, unknown>

function assertInvalidRequest(res: RawResponse, description: RegExp) {
  assertErrorResponse(res, 400, 'invalid_request')
  assert.match(String(json(res).error_description), description)
}

const form = 'application/x-www-form-urlencoded'

describe('one reading of every request', () => {
  describe('duplicate keys in a JSON body', () => {
    it('refuses a repeated top-level field with 400 naming it, and registers no one', async (t) => {
      const { url, services } = await listening(t)
      const body = `{"username":"alice","password":"${PASSWORD}","username":"mallory"}`
      const res = await send(url, 'POST', '/register', ['Content-Type: application/json'], body)
      assertInvalidRequest(res, /duplicate field "username"/)
      assert.equal(await services.store.users.findByUsername('alice'), null)
      assert.equal(await services.store.users.findByUsername('mallory'), null)
    })

    it('refuses a key repeated at any depth, and one spelled with an escape, naming its path', async (t) => {
      const { url } = await listening(t)
      const cases: [string, string][] = [
        ['{"a":{"b":[{"c":1},{"c":1,"c":2}]}}', 'a.b.1.c'],
        ['{"roles":["user"],"\\u0072oles":["user","admin"]}', 'roles'],
      ]
      for (const [body, path] of cases) {
        const res = await send(url, 'POST', '/register', ['Content-Type: application/json'], body)
        assertInvalidRequest(res, new RegExp(`duplicate field "${path.replaceAll('.', '\\.')}"`))
      }
    })

    it('answers a deeply nested body with 400, never 500', async (t) => {
      const { url } = await listening(t)
      const deep = `${'['.repeat(8000)}${']'.repeat(8000)}`
      for (const path of ['/register', '/nowhere']) {
        const res = await send(url, 'POST', path, ['Content-Type: application/json'], deep)
        assertInvalidRequest(res, /nested deeper than/)
      }
    })
  })

  describe('repeated headers', () => {
    it('refuses two Authorization headers on /token, /introspect and /revoke with 400', async (t) => {
      const test = await listening(t)
      const { client, secret } = await createClient(test, { introspect: true })
      const credentials = basic(client.id, secret ?? '')
      const bodies: [string, string][] = [
        ['/token', 'grant_type=client_credentials'],
        ['/introspect', 'token=x'],
        ['/revoke', 'token=x'],
      ]
      for (const [path, body] of bodies) {
        // The valid credentials first: Node would read only them.
        const valid = `Authorization: ${credentials}`
        const contentType = `Content-Type: ${form}`
        const headers = [valid, `Authorization: ${basic('other', 'secret')}`, contentType]
        const res = await send(test.url, 'POST', path, headers, body)
        assertInvalidRequest(res, /more than one Authorization header/)
        // The same request with one header is accepted.
        const single = await send(test.url, 'POST', path, [valid, contentType], body)
        assert.equal(single.status, 200, `${path}: ${single.body}`)
      }
    })

    it('refuses two Content-Type headers with 400, on any route', async (t) => {
      const { url } = await listening(t)
      const body = `{"username":"alice","password":"${PASSWORD}"}`
      const requests: [string, string][] = [
        ['/register', body],
        ['/token', 'username=alice'],
        ['/nowhere', body],
      ]
      for (const [path, payload] of requests) {
        const headers = ['Content-Type: application/json', `Content-Type: ${form}`]
        const res = await send(url, 'POST', path, headers, payload)
        assertInvalidRequest(res, /more than one Content-Type header/)
      }
    })
  })

  describe('Basic credentials', () => {
    /** A confidential client whose canonical Basic value has a `+` and one `=` of padding. */
    async function clientWithPaddedCredentials(test: TestApp) {
      // "~~~" encodes as "fn5+"; 3 + 1 + 43 secret characters leave one byte of padding.
      const { client, secret } = await createClient(test, { id: '~~~' })
      assert.ok(secret)
      const value = basic(client.id, secret).slice('Basic '.length)
      assert.match(value, /^fn5\+[^=]*=$/)
      return value
    }

    it('accepts only the canonical base64 spelling (RFC 7617), 401 invalid_client otherwise', async (t) => {
      const test = await listening(t)
      const value = await clientWithPaddedCredentials(test)
      const token = (authorization: string) =>
        send(
          test.url,
          'POST',
          '/token',
          [`Authorization: ${authorization}`, `Content-Type: ${form}`],
          'grant_type=client_credentials',
        )
      assert.equal((await token(`Basic ${value}`)).status, 200)
      const variants = {
        'the base64url alphabet': value.replaceAll('+', '-').replaceAll('/', '_'),
        'no padding': value.replace(/=+$/, ''),
        'extra padding': `${value}=`,
        'a stray character': `${value.slice(0, 4)}*${value.slice(4)}`,
        'trailing bytes after the padding': `${value}AAAA`,
        'a second token after a space': `${value} junk`,
      }
      for (const [name, variant] of Object.entries(variants)) {
        const res = await token(`Basic ${variant}`)
        assertErrorResponse(res, 401, 'invalid_client')
        assert.equal(res.headers['www-authenticate'], 'Basic realm="portcullis"', name)
      }
    })
  })
})
