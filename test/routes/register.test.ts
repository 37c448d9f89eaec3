import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, login, PASSWORD, registerUser } from '../helpers.js'

const json = (payload: unknown) => ({
  method: 'POST' as const,
  url: '/register',
  payload: payload as Record<string, unknown>,
})

describe('POST /register', () => {
  it('creates a user and returns the public user with 201', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject(
      json({
        username: 'Alice',
        password: PASSWORD,
        email: 'Alice@Example.com',
        full_name: 'Alice A',
      }),
    )
    assert.equal(res.statusCode, 201)
    const body = res.json()
    assert.deepEqual(Object.keys(body).sort(), [
      'created_at',
      'email',
      'email_verified',
      'full_name',
      'id',
      'username',
    ])
    assert.equal(body.username, 'alice')
    assert.equal(body.email_verified, false)
    assert.equal(body.email, 'Alice@Example.com')
    assert.equal(body.full_name, 'Alice A')
    assert.match(body.id, /^[0-9a-f-]{36}$/)
    assert.equal(body.created_at, '2026-06-01T12:00:00.000Z')
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
    assert.doesNotMatch(res.body, /argon2|hash/i)
  })

  for (const field of ['role', 'is_admin', 'hashed_password', 'id', 'disabled']) {
    it(`rejects the unknown field "${field}" with 400 and stores nothing`, async (t) => {
      const { app, services } = await buildTestApp(t)
      const res = await app.inject(json({ username: 'mallory', password: PASSWORD, [field]: 'x' }))
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'invalid_request')
      assert.match(res.json().error_description, new RegExp(field))
      assert.equal(await services.store.users.findByUsername('mallory'), null)
    })
  }

  it('tells tutorial clients that send hashed_password to send the plain password', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject(json({ username: 'bob', hashed_password: '$2b$12$abc' }))
    assert.equal(res.statusCode, 400)
    assert.match(res.json().error_description, /plain password in "password"/)
  })

  it('answers 409 username_taken for any form of a taken username', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice')
    for (const username of ['alice', 'ALICE', 'ａｌｉｃｅ']) {
      const res = await app.inject(json({ username, password: PASSWORD }))
      assert.equal(res.statusCode, 409, username)
      assert.equal(res.json().error, 'username_taken')
    }
  })

  it('answers 409 email_taken for an email differing only in case', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'alice', PASSWORD, { email: 'alice@example.com' })
    const res = await app.inject(
      json({ username: 'bob', password: PASSWORD, email: 'ALICE@example.COM' }),
    )
    assert.equal(res.statusCode, 409)
    assert.equal(res.json().error, 'email_taken')
  })

  it('lets exactly one of many concurrent registrations of one username win', async (t) => {
    const { app } = await buildTestApp(t)
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          app.inject(
            json({ username: i % 2 ? `Race${round}` : `race${round}`, password: PASSWORD }),
          ),
        ),
      )
      const codes = results.map((r) => r.statusCode).sort()
      assert.deepEqual(codes, [201, ...Array(9).fill(409)])
    }
  })

  const badUsernames = [
    'ab',
    'a'.repeat(33),
    '.alice',
    'alice-',
    'al ice',
    'al@ice',
    'ålice',
    'ıvan',
    '',
  ]
  for (const username of badUsernames) {
    it(`rejects the username ${JSON.stringify(username)} with 400 naming the rule`, async (t) => {
      const { app } = await buildTestApp(t)
      const res = await app.inject(json({ username, password: PASSWORD }))
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'invalid_request')
      assert.match(res.json().error_description, /username/)
    })
  }

  const badPasswords: Array<[string, string, RegExp]> = [
    ['too short', 'a'.repeat(14), /at least 15/],
    ['too long', 'a'.repeat(257), /at most 256/],
    ['common', '1qaz2wsx3edc4rfv', /common/],
    ['common in another case', '1QAZ2WSX3EDC4RFV', /common/],
    ['containing the username', 'my name is carol-smith, hi', /username/],
  ]
  for (const [rule, password, message] of badPasswords) {
    it(`rejects a password that is ${rule}, saying which rule failed`, async (t) => {
      const { app } = await buildTestApp(t)
      const res = await app.inject(json({ username: 'Carol-Smith', password }))
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'invalid_request')
      assert.match(res.json().error_description, message)
    })
  }

  it('counts length in code points: 15 emoji pass where 14 ASCII characters fail', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject(json({ username: 'emoji', password: '🔐'.repeat(15) }))
    assert.equal(res.statusCode, 201)
  })

  it('normalizes passwords with NFKC: the fullwidth form logs in with the ASCII form', async (t) => {
    const { app } = await buildTestApp(t)
    await registerUser(app, 'wide', 'ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ')
    assert.ok(await login(app, 'wide', 'correct horse battery'))
  })

  it('accepts NUL bytes and verifies the whole password, not a prefix', async (t) => {
    const { app } = await buildTestApp(t)
    const long = `${'x'.repeat(80)}\u0000tail-one`
    await registerUser(app, 'nul', long)
    assert.ok(await login(app, 'nul', long))
    await assert.rejects(login(app, 'nul', `${'x'.repeat(80)}\u0000tail-two`), /400/)
  })

  it('rejects a malformed email with 400', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject(
      json({ username: 'dave', password: PASSWORD, email: 'not-an-email' }),
    )
    assert.equal(res.statusCode, 400)
    assert.match(res.json().error_description, /email/)
  })

  for (const [label, fullName] of [
    ['ESC', 'Mallory\u001b[2J'],
    ['a C1 control', 'Mal\u009blory'],
    ['DEL', 'Mal\u007flory'],
    ['a lone surrogate', 'Mal\ud800lory'],
  ]) {
    it(`refuses a full_name with ${label} as users import does: 400, nothing stored`, async (t) => {
      const { app, services } = await buildTestApp(t)
      const res = await app.inject(
        json({ username: 'mallory', password: PASSWORD, full_name: fullName }),
      )
      assert.equal(res.statusCode, 400, res.body)
      assert.equal(res.json().error, 'invalid_request')
      assert.match(res.json().error_description, /^full_name /)
      assert.equal(await services.store.users.findByUsername('mallory'), null)
    })
  }

  it('keeps line breaks, tabs and non-Latin text in a full_name, as users import does', async (t) => {
    const { app } = await buildTestApp(t)
    const fullName = 'Ana\tMaría\r\nЗоя 李 👩‍💻'
    const res = await app.inject(json({ username: 'ana', password: PASSWORD, full_name: fullName }))
    assert.equal(res.statusCode, 201, res.body)
    assert.equal(res.json().full_name, fullName)
  })

  it('refuses type coercion: a numeric password is 400, not the string "123…"', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject(json({ username: 'erin', password: 123456789012345 }))
    assert.equal(res.statusCode, 400)
    assert.match(res.json().error_description, /password/)
  })

  it('rejects bodies over 16 KiB with 413', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject(json({ username: 'big', password: 'p'.repeat(17 * 1024) }))
    assert.equal(res.statusCode, 413)
    assert.equal(res.json().error, 'payload_too_large')
  })

  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    it(`rejects a ${type} body with 415`, async (t) => {
      const { app } = await buildTestApp(t)
      const res = await app.inject({
        method: 'POST',
        url: '/register',
        headers: { 'content-type': type },
        payload: 'username=frank&password=correct+horse+battery+staple',
      })
      assert.equal(res.statusCode, 415)
      assert.equal(res.json().error, 'unsupported_media_type')
    })
  }

  for (const [label, payload] of [
    ['invalid JSON', '{"username": '],
    ['an empty body', ''],
    ['a prototype-poisoning body', '{"username":"x","password":"y","__proto__":{"admin":true}}'],
    ['a JSON array', '[1,2]'],
  ] as const) {
    it(`answers ${label} with 400 invalid_request`, async (t) => {
      const { app } = await buildTestApp(t)
      const res = await app.inject({
        method: 'POST',
        url: '/register',
        headers: { 'content-type': 'application/json' },
        payload,
      })
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'invalid_request')
    })
  }
})
