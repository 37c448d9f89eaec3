import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { maxRedirectUriLength, redirectUriProblem } from '../../src/auth/redirect-uri.js'

describe('redirectUriProblem', () => {
  it('accepts https anywhere and http on the loopback literals and localhost', () => {
    for (const uri of [
      'https://app.example/callback',
      'https://app.example',
      'https://app.example:8443/cb?tenant=a&x=1',
      'HTTPS://APP.EXAMPLE/cb',
      'http://127.0.0.1:8080/callback',
      'http://[::1]:8080/callback',
      'http://localhost:3000/cb',
      `https://app.example/${'a'.repeat(maxRedirectUriLength - 'https://app.example/'.length)}`,
    ]) {
      assert.equal(redirectUriProblem(uri), null, uri)
    }
  })

  it('refuses each unsafe or ambiguous form, saying why', () => {
    const refused: Array<[string, RegExp]> = [
      ['', /1-2000 characters/],
      [`https://app.example/${'a'.repeat(maxRedirectUriLength)}`, /1-2000 characters/],
      ['/callback', /absolute https/],
      ['app.example/callback', /absolute https/],
      ['https:app.example/cb', /absolute https/],
      ['ftp://app.example/cb', /absolute https/],
      ['com.example.app:/callback', /absolute https/],
      ['javascript:alert(1)', /absolute https/],
      ['http://app.example/cb', /must use https/],
      ['http://localhost.evil.example/cb', /must use https/],
      ['http://127.0.0.1.nip.io/cb', /must use https/],
      ['https://app.example/cb#frag', /fragment/],
      ['https://app.example/cb#', /fragment/],
      ['https://user@app.example/cb', /userinfo/],
      ['https://user:pw@app.example/cb', /userinfo/],
      ['https://@app.example/cb', /userinfo/],
      ['https://*.app.example/cb', /wildcard/],
      ['https://app.example/*', /wildcard/],
      ['https://app.example/c b', /whitespace/],
      [' https://app.example/cb', /whitespace/],
      ['https://app.example/cb\n', /whitespace/],
      ['https://app.example/\u0000', /control/],
      ['https://app.example\\@evil.example/', /backslash/],
      ['https:///app.example/cb', /canonical/],
      ['http://127.1/cb', /canonical/],
      ['http://[0:0:0:0:0:0:0:1]/cb', /canonical/],
      ['https://bücher.example/cb', /canonical/],
    ]
    for (const [uri, reason] of refused) {
      assert.match(redirectUriProblem(uri) ?? 'accepted', reason, JSON.stringify(uri))
    }
  })
})
