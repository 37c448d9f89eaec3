import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as argon2 from '@node-rs/argon2'
import * as bcrypt from '@node-rs/bcrypt'
import { type Argon2Params, PasswordHasher } from '../../src/auth/password-hasher.js'
import { WorkLimiter } from '../../src/auth/work-limiter.js'
import { loadConfig } from '../../src/config.js'
import { ApiError } from '../../src/errors.js'

const cheap: Argon2Params = { memoryKib: 256, iterations: 1, parallelism: 1 }
const PASSWORD = 'correct horse battery staple'
const phc = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/

const hasherWith = (params: Argon2Params = cheap, limiter = new WorkLimiter(4, 100)) =>
  new PasswordHasher(params, limiter)

// @node-rs/argon2's Algorithm is an ambient const enum; these are its values.
const ARGON2I = 1 as argon2.Algorithm
const ARGON2ID = 2 as argon2.Algorithm

/** An argon2 hash made directly with the library, with the given parameters. */
const argonHash = (password: string, params: Argon2Params, algorithm = ARGON2ID) =>
  argon2.hash(password, {
    algorithm,
    memoryCost: params.memoryKib,
    timeCost: params.iterations,
    parallelism: params.parallelism,
  })

describe('PasswordHasher', () => {
  describe('argon2id', () => {
    it('hashes to an argon2id PHC string with the configured parameters and a fresh salt', async () => {
      const hasher = hasherWith()
      const a = await hasher.hash(PASSWORD)
      const b = await hasher.hash(PASSWORD)
      const m = phc.exec(a)
      assert.ok(m, a)
      assert.deepEqual(m.slice(1), ['256', '1', '1'])
      assert.match(b, phc)
      assert.notEqual(a, b, 'each hash has its own salt')
    })

    it('verifies the right password and refuses a wrong one, without asking for a rehash', async () => {
      const hasher = hasherWith()
      const stored = await hasher.hash(PASSWORD)
      assert.deepEqual(await hasher.verify(stored, PASSWORD), { ok: true, needsRehash: false })
      assert.deepEqual(await hasher.verify(stored, `${PASSWORD}!`), {
        ok: false,
        needsRehash: false,
      })
      assert.deepEqual(await hasher.verify(stored, ''), { ok: false, needsRehash: false })
    })

    it('does not normalize: NFKC is the caller’s job', async () => {
      const hasher = hasherWith()
      const fullwidth = await hasher.hash('ｃｏｒｒｅｃｔ ｈｏｒｓｅ')
      assert.equal((await hasher.verify(fullwidth, 'correct horse')).ok, false)
      assert.equal((await hasher.verify(fullwidth, 'ｃｏｒｒｅｃｔ ｈｏｒｓｅ')).ok, true)
      const composed = await hasher.hash('caf\u00e9 au lait please')
      assert.equal((await hasher.verify(composed, 'cafe\u0301 au lait please')).ok, false)
    })

    it('does not truncate: passwords over 72 bytes that differ only at the end do not verify', async () => {
      const hasher = hasherWith()
      const ascii = 'x'.repeat(100)
      const stored = await hasher.hash(`${ascii}a`)
      assert.equal((await hasher.verify(stored, `${ascii}a`)).ok, true)
      assert.equal((await hasher.verify(stored, `${ascii}b`)).ok, false)
      const emoji = '\u{1F511}'.repeat(30) // 120 bytes of UTF-8
      const storedEmoji = await hasher.hash(`${emoji}1`)
      assert.equal((await hasher.verify(storedEmoji, `${emoji}2`)).ok, false)
    })

    it('verifies NUL bytes as part of the password', async () => {
      const hasher = hasherWith()
      const stored = await hasher.hash('before\u0000after')
      assert.equal((await hasher.verify(stored, 'before\u0000after')).ok, true)
      assert.equal((await hasher.verify(stored, 'before')).ok, false)
      assert.equal((await hasher.verify(stored, 'before\u0000other')).ok, false)
    })
  })

  describe('rehash decisions', () => {
    const configured: Argon2Params = { memoryKib: 512, iterations: 2, parallelism: 2 }

    it('asks for a rehash when the stored memory cost is lower than configured', async () => {
      const stored = await argonHash(PASSWORD, { ...configured, memoryKib: 256 })
      assert.deepEqual(await hasherWith(configured).verify(stored, PASSWORD), {
        ok: true,
        needsRehash: true,
      })
    })

    it('asks for a rehash when the stored time cost is lower than configured', async () => {
      const stored = await argonHash(PASSWORD, { ...configured, iterations: 1 })
      assert.deepEqual(await hasherWith(configured).verify(stored, PASSWORD), {
        ok: true,
        needsRehash: true,
      })
    })

    it('asks for a rehash when the stored parallelism is lower than configured', async () => {
      const stored = await argonHash(PASSWORD, { ...configured, parallelism: 1 })
      assert.deepEqual(await hasherWith(configured).verify(stored, PASSWORD), {
        ok: true,
        needsRehash: true,
      })
    })

    it('asks for a rehash of an argon2i hash with the configured parameters', async () => {
      const stored = await argonHash(PASSWORD, configured, ARGON2I)
      assert.match(stored, /^\$argon2i\$/)
      assert.deepEqual(await hasherWith(configured).verify(stored, PASSWORD), {
        ok: true,
        needsRehash: true,
      })
    })

    it('does not ask for a rehash when the parameters are equal or stronger', async () => {
      const hasher = hasherWith(configured)
      const equal = await argonHash(PASSWORD, configured)
      const stronger = await argonHash(PASSWORD, { memoryKib: 1024, iterations: 3, parallelism: 2 })
      assert.deepEqual(await hasher.verify(equal, PASSWORD), { ok: true, needsRehash: false })
      assert.deepEqual(await hasher.verify(stronger, PASSWORD), { ok: true, needsRehash: false })
    })

    it('asks for a rehash of its own hashes once the configuration is raised', async () => {
      const stored = await hasherWith(cheap).hash(PASSWORD)
      const raised = hasherWith({ ...cheap, memoryKib: 512 })
      assert.deepEqual(await raised.verify(stored, PASSWORD), { ok: true, needsRehash: true })
    })
  })

  describe('legacy bcrypt', () => {
    for (const prefix of ['$2b$', '$2a$', '$2y$']) {
      it(`verifies a ${prefix} bcrypt hash and asks for a rehash`, async () => {
        const generated = await bcrypt.hash(PASSWORD, 4)
        assert.match(generated, /^\$2[aby]\$04\$/)
        const stored = `${prefix}${generated.slice(4)}`
        const hasher = hasherWith()
        assert.deepEqual(await hasher.verify(stored, PASSWORD), { ok: true, needsRehash: true })
        assert.deepEqual(await hasher.verify(stored, 'wrong password here'), {
          ok: false,
          needsRehash: true,
        })
      })
    }

    it('verifies the OpenBSD test vector under each prefix passlib and PHP write', async () => {
      const hasher = hasherWith()
      for (const version of ['2a', '2b', '2y']) {
        const stored = `$${version}$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW`
        assert.deepEqual(await hasher.verify(stored, 'U*U'), { ok: true, needsRehash: true })
        assert.deepEqual(await hasher.verify(stored, 'U*V'), { ok: false, needsRehash: true })
      }
    })
  })

  describe('malformed stored hashes', () => {
    it('verifies false instead of throwing', async () => {
      const hasher = hasherWith()
      const good = await hasher.hash(PASSWORD)
      const malformed = [
        '',
        'not a hash',
        PASSWORD,
        '$argon2id$',
        '$argon2id$v=19$m=256,t=1,p=1$$',
        good.slice(0, -10),
        good.replace('$argon2id$', '$argon2xx$'),
        '$2b$04$tooshort',
        '$2b$04$!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
        `$2b$99$${'a'.repeat(53)}`,
      ]
      for (const stored of malformed) {
        const result = await hasher.verify(stored, PASSWORD)
        assert.equal(result.ok, false, JSON.stringify(stored))
      }
    })
  })

  describe('checkLogin of an unknown user (no stored hash)', () => {
    it('returns false for any password', async () => {
      const hasher = hasherWith()
      await hasher.init()
      const refused = { ok: false, needsRehash: false }
      assert.deepEqual(await hasher.checkLogin(null, PASSWORD), refused)
      assert.deepEqual(await hasher.checkLogin(null, ''), refused)
    })

    it('spends a real verify through the limiter, like a known user would', async (t) => {
      const limiter = new WorkLimiter(1, 10)
      const hasher = hasherWith(cheap, limiter)
      await hasher.init()
      await hasher.warmedUp()
      const run = t.mock.method(limiter, 'run')
      await hasher.checkLogin(null, PASSWORD)
      assert.equal(run.mock.callCount(), 1)
    })
  })

  describe('warm-up', () => {
    /** A limiter whose one slot is held until `release` is called. */
    const heldLimiter = () => {
      const limiter = new WorkLimiter(1, 100)
      let release = () => {}
      const held = limiter.run(() => new Promise<void>((resolve) => (release = resolve)))
      return {
        limiter,
        release: () => {
          release()
          return held
        },
      }
    }
    const settles = async (promise: Promise<unknown>) => {
      let settled = false
      void promise.then(() => (settled = true))
      // Every callback and I/O completion queued so far runs first.
      await new Promise((resolve) => setImmediate(resolve))
      return settled
    }

    it('does not hold up the start: init returns while the hashing it starts cannot run', async () => {
      const { limiter, release } = heldLimiter()
      const hasher = hasherWith(cheap, limiter)
      assert.equal(await settles(hasher.init()), true)
      assert.equal(await settles(hasher.warmedUp()), false)
      await release()
      await hasher.warmedUp()
    })

    it('makes a login that arrives during the warm-up wait for it, then verify against a real dummy hash', async (t) => {
      const { limiter, release } = heldLimiter()
      const hasher = hasherWith(cheap, limiter)
      const verified: string[] = []
      const verify = hasher.verify.bind(hasher)
      t.mock.method(hasher, 'verify', (stored: string, password: string) => {
        verified.push(stored)
        return verify(stored, password)
      })
      await hasher.init()
      const login = hasher.checkLogin(null, PASSWORD)
      assert.equal(await settles(login), false)
      await release()
      assert.deepEqual(await login, { ok: false, needsRehash: false })
      assert.ok(verified.length > 0)
      for (const stored of verified) assert.match(stored, phc)
    })
  })

  describe('work limiting', () => {
    it('rejects hash and verify with 503 when the limiter is saturated', async () => {
      const limiter = new WorkLimiter(1, 0)
      const hasher = hasherWith(cheap, limiter)
      const stored = await hasher.hash(PASSWORD)
      let release = () => {}
      const blocker = limiter.run(() => new Promise<void>((resolve) => (release = resolve)))
      const busy = (error: unknown) => {
        assert.ok(error instanceof ApiError)
        assert.equal(error.code, 'temporarily_unavailable')
        assert.equal(error.status, 503)
        return true
      }
      await assert.rejects(hasher.hash(PASSWORD), busy)
      await assert.rejects(hasher.verify(stored, PASSWORD), busy)
      release()
      await blocker
      assert.equal((await hasher.verify(stored, PASSWORD)).ok, true)
    })
  })

  describe('production defaults', () => {
    it('uses m=19456, t=2, p=1 by default and writes them into the PHC string', async () => {
      const params = loadConfig({}).hashing.argon2
      assert.deepEqual(params, { memoryKib: 19456, iterations: 2, parallelism: 1 })
      const hasher = hasherWith(params)
      const stored = await hasher.hash(PASSWORD)
      assert.deepEqual(phc.exec(stored)?.slice(1), ['19456', '2', '1'])
      assert.deepEqual(await hasher.verify(stored, PASSWORD), { ok: true, needsRehash: false })
      const cheapStored = await hasherWith(cheap).hash(PASSWORD)
      assert.deepEqual(await hasher.verify(cheapStored, PASSWORD), { ok: true, needsRehash: true })
    })
  })
})
