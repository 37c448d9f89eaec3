import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { clientKey } from '../../src/auth/client-key.js'
import { ConfigError } from '../../src/config.js'
import { buildTestApp, PASSWORD, registerUser, testConfig } from '../helpers.js'

/** Logs in from `remoteAddress` with extra headers; returns the IP the session recorded. */
async function recordedIp(
  app: FastifyInstance,
  remoteAddress: string,
  headers: Record<string, string>,
): Promise<string | null> {
  const res = await app.inject({
    method: 'POST',
    url: '/token',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams({ username: 'alice', password: PASSWORD }).toString(),
  })
  assert.equal(res.statusCode, 200, res.body)
  const token = (res.json() as { access_token: string }).access_token
  const sessions = await app.inject({
    method: 'GET',
    url: '/users/me/sessions',
    remoteAddress,
    headers: { authorization: `Bearer ${token}` },
  })
  const list = sessions.json() as { ip: string | null; current: boolean }[]
  return list.find((s) => s.current)?.ip ?? null
}

describe('client IP behind proxies', () => {
  it('ignores X-Forwarded-For and X-Real-IP by default (trust nobody)', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const ip = await recordedIp(app, '203.0.113.7', {
      'x-forwarded-for': '198.51.100.1',
      'x-real-ip': '198.51.100.2',
    })
    assert.equal(ip, '203.0.113.7')
  })

  it('ignores a spoofed X-Forwarded-For from a peer outside the trusted list', async (t) => {
    const { app } = await buildTestApp(t, {
      env: { PORTCULLIS_TRUST_PROXY: '10.0.0.0/8, 2001:db8::/32' },
    })
    await registerUser(app, 'alice')
    assert.equal(
      await recordedIp(app, '203.0.113.7', { 'x-forwarded-for': '198.51.100.1' }),
      '203.0.113.7',
    )
  })

  it('honours X-Forwarded-For from a trusted proxy, skipping only trusted hops', async (t) => {
    const { app } = await buildTestApp(t, {
      env: { PORTCULLIS_TRUST_PROXY: '10.0.0.0/8,2001:db8::/32' },
    })
    await registerUser(app, 'alice')
    assert.equal(
      await recordedIp(app, '10.1.2.3', { 'x-forwarded-for': '198.51.100.1' }),
      '198.51.100.1',
    )
    // The client wrote a fake first entry; the trusted proxy appended the real peer.
    assert.equal(
      await recordedIp(app, '2001:db8::5', { 'x-forwarded-for': '192.0.2.66, 198.51.100.9' }),
      '198.51.100.9',
    )
    // X-Real-IP is never read, even from a trusted proxy (documented in docs/threat-model.md).
    assert.equal(await recordedIp(app, '10.1.2.3', { 'x-real-ip': '198.51.100.2' }), '10.1.2.3')
  })

  it('with a hop count, trusts that many hops whoever they are', async (t) => {
    const { app } = await buildTestApp(t, { env: { PORTCULLIS_TRUST_PROXY: '1' } })
    await registerUser(app, 'alice')
    assert.equal(
      await recordedIp(app, '10.1.2.3', { 'x-forwarded-for': '192.0.2.66, 198.51.100.9' }),
      '198.51.100.9',
    )
  })
})

describe('PORTCULLIS_TRUST_PROXY validation', () => {
  for (const value of ['', 'false', '0']) {
    it(`"${value}" trusts nobody`, () => {
      assert.equal(testConfig({ PORTCULLIS_TRUST_PROXY: value }).http.trustProxy, false)
    })
  }

  it('accepts hop counts and lists of IPv4/IPv6 addresses, CIDRs and named ranges', () => {
    assert.equal(testConfig({ PORTCULLIS_TRUST_PROXY: '2' }).http.trustProxy, 2)
    assert.deepEqual(
      testConfig({ PORTCULLIS_TRUST_PROXY: '10.0.0.1, 172.16.0.0/12,::1,fd00::/8,loopback' }).http
        .trustProxy,
      ['10.0.0.1', '172.16.0.0/12', '::1', 'fd00::/8', 'loopback'],
    )
  })

  for (const [value, pattern] of [
    ['true', /^PORTCULLIS_TRUST_PROXY no longer accepts "true"/],
    ['10.0.0.0/33', /bad entry "10\.0\.0\.0\/33"/],
    ['10.0.0.1,proxy.internal', /bad entry "proxy\.internal"/],
    ['fd00::/129', /bad entry "fd00::\/129"/],
    ['10.0.0.1,', /bad entry ""/],
    ['21', /hop count must be from 0 to 20/],
  ] as const) {
    it(`refuses "${value}" with one line naming the variable`, () => {
      assert.throws(
        () => testConfig({ PORTCULLIS_TRUST_PROXY: value }),
        (error: unknown) =>
          error instanceof ConfigError &&
          pattern.test(error.message) &&
          error.message.startsWith('PORTCULLIS_TRUST_PROXY ') &&
          !error.message.includes('\n'),
      )
    })
  }
})

describe('clientKey', () => {
  it('keeps IPv4 addresses and unwraps IPv4-mapped IPv6', () => {
    assert.equal(clientKey('192.0.2.1'), '192.0.2.1')
    assert.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1')
    assert.equal(clientKey('::FFFF:c000:201'), '192.0.2.1')
  })

  it('buckets IPv6 by /64, whatever the spelling', () => {
    const key = '2001:db8:1:2::/64'
    for (const ip of [
      '2001:db8:1:2::1',
      '2001:db8:1:2:ffff:ffff:ffff:ffff',
      '2001:0DB8:0001:0002:0:0:0:9',
      '2001:db8:1:2:a:b:1.2.3.4',
      '2001:db8:1:2::7%eth0',
    ]) {
      assert.equal(clientKey(ip), key, ip)
    }
    assert.notEqual(clientKey('2001:db8:1:3::1'), key)
    assert.equal(clientKey('2001:db8::1'), '2001:db8::/64')
    assert.equal(clientKey('::1'), '::/64')
    assert.equal(clientKey('1:2:3:4:5:6:7:8'), '1:2:3:4::/64')
  })

  it('returns anything that is not an IP unchanged', () => {
    assert.equal(clientKey('unknown'), 'unknown')
  })
})
