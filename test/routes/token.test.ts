import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as argon2 from '@node-rs/argon2'
import * as bcrypt from '@node-rs/bcrypt'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { buildTestApp, ISSUER, login, PASSWORD, postToken, registerUser } from '../helpers.js'

describe('POST /token', () => {
  it('issues an RFC 9068 access token with no-store and no-cache headers', async (t) => {
    const { app, services } = await buildTestApp(t)
    const user = await registerUser(app, 'alice')
    const res = await postToken(app, {
      grant_type: 'password',
      username: 'alice',
      password: PASSWORD,
    })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(res.headers.pragma, 'no-cache')
    const body = res.json()
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'expires_in',
      'refresh_token',
      'scope',
      'token_type',
    ])
    assert.equal(body.token_type, 'Bearer')
    assert.equal(body.expires_in, 900)
    assert.equal(body.scope, 'profile sessions email')
    const header = decodeProtectedHeader(body.access_token)
    assert.equal(header.alg, 'ES256')
    assert.equal(header.typ, 'at+jwt')
    assert.equal(header.kid, services.keyring.signingKey().kid)
    const claims = decodeJwt(body.access_token)
    assert.equal(claims.sub, user.id)
    assert.equal(claims.iss, ISSUER)
    assert.equal(claims.aud, ISSUER)
    assert.equal(claims.client_id, 'portcullis')
    assert.equal(claims.scope, 'profile sessions email')
    assert.equal(claims.iat, Date.parse('2026-06-01T12:00:00Z') / 1000)
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 900)
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/)
    assert.match(String(claims.sid), /^[0-9a-f-]{36}$/)
    assert.match(body.refresh_token, /^[A-Za-z0-9_-]{43}$/)
  })

  it('accepts the tutorial form without grant_type, and an empty grant_type as omitted', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    assert.equal((await postToken(app, { username: 'alice', password: PASSWORD })).statusCode, 200)
    const empty = await postToken(app, { grant_type: '', username: 'alice', password: PASSWORD })
    assert.equal(empty.statusCode, 200)
  })

  it('logs in with any form of the username, or with the email', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    for (const name of ['ALICE', 'ａｌｉｃｅ', 'Alice@Example.COM']) {
      assert.ok(await login(app, name), name)
    }
  })

  it('answers a wrong password and an unknown user identically with 400 invalid_grant', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const wrong = await postToken(app, { username: 'alice', password: 'not the password at all' })
    const unknown = await postToken(app, {
      username: 'nobody',
      password: 'not the password at all',
    })
    const badEmail = await postToken(app, { username: 'no@body.example', password: 'x' })
    for (const res of [wrong, unknown, badEmail]) {
      assert.equal(res.statusCode, 400)
      assert.deepEqual(res.json(), {
        error: 'invalid_grant',
        error_description: 'invalid username or password',
      })
      assert.equal(res.headers['cache-control'], 'no-store')
      assert.equal(res.headers.pragma, 'no-cache')
    }
  })

  it('spends a password verification on unknown users too', async (t) => {
    const { app, services } = await buildTestApp(t)
    let verifications = 0
    const verify = services.hasher.verify.bind(services.hasher)
    services.hasher.verify = (stored, password) => {
      verifications++
      return verify(stored, password)
    }
    await postToken(app, { username: 'nobody', password: 'whatever password' })
    await postToken(app, { username: '!!invalid!!', password: 'whatever password' })
    await postToken(app, { username: 'no@body.example', password: 'whatever password' })
    assert.equal(verifications, 3)
  })

  it('refuses a disabled user with the same invalid_grant', async (t) => {
    const { app, services, clock } = await buildTestApp(t)
    const user = await registerUser(app, 'alice')
    await services.store.users.setDisabled(user.id, true, new Date(clock.now()).toISOString())
    const res = await postToken(app, { username: 'alice', password: PASSWORD })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'invalid_grant')
  })

  for (const grant of ['implicit', 'PASSWORD', 'toString']) {
    it(`answers grant_type=${grant} with unsupported_grant_type`, async (t) => {
      const { app } = await buildTestApp(t)
      const res = await postToken(app, { grant_type: grant, username: 'a', password: 'b' })
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'unsupported_grant_type')
    })
  }

  it('answers grant_type=authorization_code from the built-in client with unauthorized_client', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await postToken(app, { grant_type: 'authorization_code', code: 'x' })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error, 'unauthorized_client')
  })

  for (const [label, form] of [
    ['a missing username', 'password=x'],
    ['a missing password', 'username=alice'],
    ['an empty password', 'username=alice&password='],
    ['a repeated password', 'username=alice&password=a&password=b'],
    ['a repeated username', 'username=alice&username=bob&password=a'],
    ['a repeated grant_type', 'grant_type=password&grant_type=password&username=a&password=b'],
  ] as const) {
    it(`answers ${label} with 400 invalid_request`, async (t) => {
      const { app } = await buildTestApp(t)
      const res = await postToken(app, form)
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'invalid_request')
      assert.equal(res.headers['cache-control'], 'no-store')
    })
  }

  it('ignores unknown parameters (RFC 6749 §3.2)', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const res = await postToken(app, { username: 'alice', password: PASSWORD, foo: 'bar' })
    assert.equal(res.statusCode, 200)
  })

  it('grants only offered scopes: a subset is granted, an unknown scope is invalid_scope', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const subset = await postToken(app, { username: 'alice', password: PASSWORD, scope: 'email' })
    assert.equal(subset.json().scope, 'email')
    assert.equal(decodeJwt(subset.json().access_token).scope, 'email')
    const admin = await postToken(app, {
      username: 'alice',
      password: PASSWORD,
      scope: 'email admin',
    })
    assert.equal(admin.statusCode, 400)
    assert.equal(admin.json().error, 'invalid_scope')
  })

  it('rejects an unknown client_id or failed Basic client authentication with 401 invalid_client', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    const unknown = await postToken(app, {
      username: 'alice',
      password: PASSWORD,
      client_id: 'evil',
    })
    assert.equal(unknown.statusCode, 401)
    assert.equal(unknown.json().error, 'invalid_client')
    const basic = await postToken(
      app,
      { username: 'alice', password: PASSWORD },
      { authorization: `Basic ${Buffer.from('evil:secret').toString('base64')}` },
    )
    assert.equal(basic.statusCode, 401)
    assert.equal(basic.json().error, 'invalid_client')
    assert.match(String(basic.headers['www-authenticate']), /^Basic /)
    const ok = await postToken(
      app,
      { username: 'alice', password: PASSWORD, client_id: 'portcullis' },
      { authorization: `Basic ${Buffer.from('portcullis:').toString('base64')}` },
    )
    assert.equal(ok.statusCode, 200)
  })

  it('answers malformed Basic client credentials with 401 invalid_client, not 500', async (t) => {
    const { app } = await buildTestApp(t)
    for (const credentials of ['JQ==', '!!!', Buffer.from('%E0%A4%A:').toString('base64')]) {
      const res = await postToken(
        app,
        { username: 'a', password: 'b' },
        { authorization: `Basic ${credentials}` },
      )
      assert.equal(res.statusCode, 401, credentials)
      assert.equal(res.json().error, 'invalid_client')
    }
  })

  it('refuses to register a password with lone surrogates (JSON can carry them; they would all hash as U+FFFD)', async (t) => {
    const { app } = await buildTestApp(t)
    const lone = '\ud800'.repeat(16)
    const reg = await app.inject({
      method: 'POST',
      url: '/register',
      payload: { username: 'sur', password: lone },
    })
    assert.equal(reg.statusCode, 400)
    assert.match(reg.json().error_description, /lone surrogate/)
  })

  it('accepts only application/x-www-form-urlencoded (415 otherwise)', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({
      method: 'POST',
      url: '/token',
      payload: { username: 'alice', password: PASSWORD },
    })
    assert.equal(res.statusCode, 415)
    assert.equal(res.json().error, 'unsupported_media_type')
  })

  it('rejects bodies over 16 KiB with 413', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await postToken(app, { username: 'alice', password: 'p'.repeat(17 * 1024) })
    assert.equal(res.statusCode, 413)
    assert.equal(res.json().error, 'payload_too_large')
  })

  it('answers 503 with Retry-After when the hashing queue is full', async (t) => {
    const { app, services } = await buildTestApp(t, {
      env: { PORTCULLIS_HASH_CONCURRENCY: '1', PORTCULLIS_HASH_QUEUE_LIMIT: '1' },
    })
    await registerUser(app, 'alice')
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    // One hash running and one waiting: the limiter is full.
    const busy = [services.limiter.run(() => gate), services.limiter.run(async () => {})]
    const results = await Promise.all(
      Array.from({ length: 3 }, () => postToken(app, { username: 'alice', password: PASSWORD })),
    )
    for (const res of results) {
      assert.equal(res.statusCode, 503)
      assert.equal(res.json().error, 'temporarily_unavailable')
      assert.equal(res.headers['retry-after'], '1')
      assert.equal(res.headers['cache-control'], 'no-store')
    }
    release()
    await Promise.all(busy)
    assert.equal((await postToken(app, { username: 'alice', password: PASSWORD })).statusCode, 200)
  })

  it('queues logins beyond the concurrency instead of failing them', async (t) => {
    const { app } = await buildTestApp(t, {
      env: { PORTCULLIS_HASH_CONCURRENCY: '1', PORTCULLIS_HASH_QUEUE_LIMIT: '64' },
    })
    await registerUser(app, 'alice')
    const results = await Promise.all(
      Array.from({ length: 12 }, () => postToken(app, { username: 'alice', password: PASSWORD })),
    )
    assert.deepEqual(
      results.map((r) => r.statusCode),
      Array(12).fill(200),
    )
  })

  it('fails an unknown user, an argon2 user and a legacy bcrypt user in the same time', async (t) => {
    const { app, services } = await buildTestApp(t)
    await registerUser(app, 'alice')
    await services.store.users.create({
      id: '00000000-0000-4000-8000-0000000000aa',
      username: 'legacy',
      email: null,
      emailCanonical: null,
      fullName: null,
      passwordHash: await bcrypt.hash(PASSWORD, 10),
      createdAt: '2020-01-01T00:00:00.000Z',
    })
    const attempt = async (username: string) => {
      const started = performance.now()
      const res = await postToken(app, { username, password: 'not the password at all' })
      assert.equal(res.statusCode, 400)
      return performance.now() - started
    }
    await attempt('legacy')
    const times: Record<string, number[]> = { nobody: [], alice: [], legacy: [] }
    for (let i = 0; i < 7; i++)
      for (const name of Object.keys(times)) times[name]?.push(await attempt(name))
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
    const nobody = median(times.nobody ?? [])
    const alice = median(times.alice ?? [])
    const legacy = median(times.legacy ?? [])
    // Without padding the bcrypt user would be ~50x slower than the others here.
    for (const [a, b] of [
      [nobody, legacy],
      [alice, legacy],
      [nobody, alice],
    ] as const) {
      assert.ok(a / b > 0.5 && a / b < 2, `medians ${nobody} / ${alice} / ${legacy} ms`)
    }
  })

  it('fails bcrypt users of different costs in the same time as an unknown user', async (t) => {
    const { app, services } = await buildTestApp(t)
    for (const [username, cost] of [
      ['cheap', 4],
      ['dear', 10],
    ] as const) {
      await services.store.users.create({
        id: `00000000-0000-4000-8000-0000000000${cost === 4 ? 'b4' : 'ba'}`,
        username,
        email: null,
        emailCanonical: null,
        fullName: null,
        passwordHash: await bcrypt.hash(PASSWORD, cost),
        createdAt: '2020-01-01T00:00:00.000Z',
      })
    }
    await services.hasher.learnLegacyCost(await services.store.users.maxLegacyCost())
    const attempt = async (username: string) => {
      const started = performance.now()
      const res = await postToken(app, { username, password: 'not the password at all' })
      assert.equal(res.statusCode, 400)
      return performance.now() - started
    }
    const times: Record<string, number[]> = { nobody: [], cheap: [], dear: [] }
    for (let i = 0; i < 7; i++)
      for (const name of Object.keys(times)) times[name]?.push(await attempt(name))
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
    const nobody = median(times.nobody ?? [])
    const cheap = median(times.cheap ?? [])
    const dear = median(times.dear ?? [])
    // Without the floor, the cost-4 user fails ~50x faster than the others.
    for (const [a, b] of [
      [nobody, cheap],
      [dear, cheap],
    ] as const) {
      assert.ok(a / b > 0.5 && a / b < 2, `medians ${nobody} / ${cheap} / ${dear} ms`)
    }
  })

  it('verifies passlib bcrypt hashes ($2a$, $2b$, $2y$) and re-hashes them to argon2id', async (t) => {
    const { app, services } = await buildTestApp(t)
    const base = await bcrypt.hash(PASSWORD, 4)
    for (const [i, prefix] of ['$2a$', '$2b$', '$2y$'].entries()) {
      const id = `00000000-0000-4000-8000-00000000000${i}`
      await services.store.users.create({
        id,
        username: `legacy${i}`,
        email: null,
        emailCanonical: null,
        fullName: null,
        passwordHash: prefix + base.slice(4),
        createdAt: '2020-01-01T00:00:00.000Z',
      })
      await assert.rejects(login(app, `legacy${i}`, 'wrong password entirely'), /400/)
      assert.ok(await login(app, `legacy${i}`))
      const stored = await services.store.users.findById(id)
      assert.match(stored?.passwordHash ?? '', /^\$argon2id\$v=19\$m=256,t=1,p=1\$/)
      assert.ok(await login(app, `legacy${i}`))
    }
  })

  it('re-hashes argon2 hashes weaker than the configured parameters at the next login', async (t) => {
    const { app, services } = await buildTestApp(t)
    const user = await registerUser(app, 'alice')
    const weak = await argon2.hash(PASSWORD, { memoryCost: 64, timeCost: 1, algorithm: 2 })
    const at = new Date().toISOString()
    const current = (await services.store.users.findById(user.id))?.passwordHash ?? ''
    assert.ok(await services.store.users.replacePasswordHash(user.id, current, weak, at))
    assert.ok(await login(app, 'alice'))
    const stored = await services.store.users.findById(user.id)
    assert.match(stored?.passwordHash ?? '', /m=256,t=1,p=1/)
  })
})
