import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { dictionary } from '@zxcvbn-ts/language-common'
import { isCommonPassword } from '../../src/auth/password-blocklist.js'
import { checkNewPassword, type PasswordPolicy } from '../../src/auth/password-policy.js'
import { ApiError } from '../../src/errors.js'

const policy: PasswordPolicy = { minLength: 15, maxLength: 64 }
const check = (password: string, username = 'alice') => checkNewPassword(password, username, policy)

/** Asserts a 400 invalid_request whose description matches `rule`. */
function assertRejected(password: string, rule: RegExp, username = 'alice') {
  assert.throws(
    () => check(password, username),
    (error: unknown) => {
      assert.ok(error instanceof ApiError, `expected ApiError, got ${String(error)}`)
      assert.equal(error.code, 'invalid_request')
      assert.equal(error.status, 400)
      assert.match(error.description, rule)
      return true
    },
  )
}

const tooShort = /at least 15 characters/
const tooLong = /at most 64 characters/
const tooCommon = /common/
const hasUsername = /must not contain the username/

describe('checkNewPassword', () => {
  describe('length', () => {
    it('accepts exactly the minimum length and rejects one character less', () => {
      assert.equal(check('k'.repeat(15)), 'k'.repeat(15))
      assertRejected('k'.repeat(14), tooShort)
    })

    it('counts code points, so 15 emoji (30 UTF-16 units) pass and 14 emoji fail', () => {
      const emoji = '\u{1F511}' // 🔑, outside the BMP
      assert.equal(emoji.repeat(14).length, 28, 'UTF-16 length would wrongly pass')
      assert.equal(check(emoji.repeat(15)), emoji.repeat(15))
      assertRejected(emoji.repeat(14), tooShort)
    })

    it('counts after NFKC, so combining sequences compose into one character each', () => {
      const decomposed = 'e\u0301' // e + COMBINING ACUTE ACCENT -> é
      assertRejected(decomposed.repeat(14), tooShort) // 28 code points before NFKC, 14 after
      assert.equal(check(decomposed.repeat(15)), '\u00e9'.repeat(15))
    })

    it('counts after NFKC, so compatibility forms expand or narrow before counting', () => {
      // U+FB03 LATIN SMALL LIGATURE FFI is three characters after NFKC.
      assert.equal(check('\ufb03'.repeat(5)), 'ffi'.repeat(5))
      // Fullwidth letters become ASCII; the normalized password is what gets hashed.
      assert.equal(check('ｐａｓｓｐｈｒａｓｅ ｆｏｒ ｍｅ'), 'passphrase for me')
    })

    it('accepts exactly the maximum length and rejects one character more', () => {
      assert.equal(check('k'.repeat(64)), 'k'.repeat(64))
      assertRejected('k'.repeat(65), tooLong)
    })

    it('counts the maximum in code points too: 64 emoji pass, 65 fail', () => {
      const emoji = '\u{1F511}'
      assert.equal(check(emoji.repeat(64)), emoji.repeat(64))
      assertRejected(emoji.repeat(65), tooLong)
    })

    it('applies the maximum after NFKC expansion', () => {
      // 22 ligatures are 22 code points as typed but 66 after NFKC.
      assertRejected('\ufb03'.repeat(22), tooLong)
    })
  })

  describe('blocklist', () => {
    it('holds at least 10000 common passwords', () => {
      const listed = dictionary['passwords-common']
      assert.ok(listed.length >= 10_000, `blocklist size ${listed.length}`)
      const missed = listed.filter((p) => !isCommonPassword(p))
      assert.deepEqual(missed, [], 'every listed password is refused')
    })

    it('rejects a common password long enough to pass the length rule', () => {
      assert.ok('1qaz2wsx3edc4rfv'.length >= 15)
      assertRejected('1qaz2wsx3edc4rfv', tooCommon)
      assertRejected('passwordpassword', tooCommon)
    })

    it('rejects a common password in any letter case', () => {
      assert.equal(isCommonPassword('1QAZ2WSX3EDC4RFV'), true)
      assertRejected('1QAZ2wsx3EDC4rfv', tooCommon)
      assertRejected('PasswordPassword', tooCommon)
    })

    it('rejects a common password typed in fullwidth forms, once normalized', () => {
      assertRejected('１ｑａｚ２ｗｓｘ３ｅｄｃ４ｒｆｖ', tooCommon)
    })

    it('matches whole entries only, never a part of one or two neighbours together', () => {
      const listed = dictionary['passwords-common']
      const [first = '', second = ''] = listed
      assert.equal(isCommonPassword(first), true)
      assert.equal(isCommonPassword(`${first}\n${second}`), false)
      const entry = listed.find((p) => p.length >= 12) ?? ''
      const parts = [entry.slice(1), entry.slice(0, -1), `${entry}~`, `~${entry}`]
      for (const part of parts.filter((p) => !listed.includes(p))) {
        assert.equal(isCommonPassword(part), false, part)
      }
    })

    it('does not flag an uncommon password', () => {
      assert.equal(isCommonPassword('lantern orchid basalt quiver'), false)
    })
  })

  describe('username', () => {
    it('rejects a password that contains the username', () => {
      assertRejected('my name is alice okay', hasUsername)
    })

    it('rejects the username in any case or in fullwidth form', () => {
      assertRejected('my name is ALICE okay', hasUsername)
      assertRejected('my name is ａｌｉｃｅ okay', hasUsername)
    })

    it('accepts the same password for a user with another name', () => {
      assert.equal(check('my name is alice okay', 'bob'), 'my name is alice okay')
    })
  })

  describe('no composition rules', () => {
    it('accepts an all-lowercase passphrase without digits or symbols', () => {
      assert.equal(check('lantern orchid basalt quiver'), 'lantern orchid basalt quiver')
    })

    it('accepts NUL bytes and keeps them', () => {
      const password = 'nul\u0000inside\u0000the password'
      assert.equal(check(password), password)
    })
  })
})
