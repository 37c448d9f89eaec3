/**
 * Every failed login takes the same time, whatever made it fail (ASVS 6.3.8): the response time
 * must not tell an unknown name from an account, nor what kind of hash the account holds.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import * as argon2 from '@node-rs/argon2'
import * as bcrypt from '@node-rs/bcrypt'
import { buildTestApp, PASSWORD, postToken, registerUser } from '../helpers.js'

// Realistic in shape, test-sized in cost: a few milliseconds per hash.
const env = { PORTCULLIS_ARGON2_MEMORY_KIB: '4096', PORTCULLIS_ARGON2_ITERATIONS: '2' }
const ARGON2ID = 2
const WRONG = 'not the password at all'
// NFKC turns these full-width letters into ASCII: a bcrypt account also checks the raw text.
const UNNORMALIZED = 'ｎｏｔ ｔｈｅ ｐａｓｓｗｏｒｄ ａｔ ａｌｌ'
const TRIES = 31

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

describe('failed login timing', () => {
  it('fails every way in the time an unknown user fails (medians within 1.3x, round-robin)', async (t) => {
    const { app, services } = await buildTestApp(t, { env })
    const { store } = services
    await registerUser(app, 'alice')
    const disabled = await registerUser(app, 'dora')
    await store.users.setDisabled(disabled.id, true, new Date().toISOString())
    const stored = async (username: string, passwordHash: string) => {
      await store.users.create({
        id: randomUUID(),
        username,
        email: null,
        emailCanonical: null,
        fullName: null,
        passwordHash,
        createdAt: '2020-01-01T00:00:00.000Z',
      })
    }
    const argon2With = (memoryCost: number, timeCost: number) =>
      argon2.hash(PASSWORD, { algorithm: ARGON2ID, memoryCost, timeCost, parallelism: 1 })
    await stored('weak-argon', await argon2With(1024, 1))
    await stored('strong-argon', await argon2With(8192, 3))
    await stored('dear-bcrypt', `$2b$${(await bcrypt.hash(PASSWORD, 8)).slice(4)}`)
    await stored('cheap-bcrypt', `$2b$${(await bcrypt.hash(PASSWORD, 5)).slice(4)}`)
    await services.hasher.learnLegacyCost(await store.users.maxLegacyCost())

    const cases: Record<string, { username: string; password: string }> = {
      unknown: { username: 'nobody-here', password: WRONG },
      argon2: { username: 'alice', password: WRONG },
      'argon2 weaker': { username: 'weak-argon', password: WRONG },
      'argon2 stronger': { username: 'strong-argon', password: WRONG },
      bcrypt: { username: 'dear-bcrypt', password: WRONG },
      'bcrypt cheaper': { username: 'cheap-bcrypt', password: WRONG },
      'bcrypt raw fallback': { username: 'dear-bcrypt', password: UNNORMALIZED },
      'disabled, right password': { username: 'dora', password: PASSWORD },
    }
    const attempt = async (form: { username: string; password: string }) => {
      const started = performance.now()
      const res = await postToken(app, form)
      const elapsed = performance.now() - started
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().error, 'invalid_grant')
      return elapsed
    }
    // One unmeasured round: a server learns a costlier stored hash on first meeting it.
    for (const form of Object.values(cases)) await attempt(form)
    const times = Object.fromEntries(Object.keys(cases).map((name) => [name, [] as number[]]))
    // Round-robin, so load on the machine hits every case alike.
    for (let i = 0; i < TRIES; i++) {
      for (const [name, form] of Object.entries(cases)) times[name]?.push(await attempt(form))
    }
    const medians = Object.fromEntries(
      Object.entries(times).map(([name, xs]) => [name, Math.round(median(xs) * 10) / 10]),
    )
    const reference = medians.unknown ?? 0
    for (const [name, m] of Object.entries(medians)) {
      const ratio = m / reference
      assert.ok(
        ratio < 1.3 && ratio > 1 / 1.3,
        `${name}: median ${m} ms vs unknown ${reference} ms; all: ${JSON.stringify(medians)}`,
      )
    }
  })
})
