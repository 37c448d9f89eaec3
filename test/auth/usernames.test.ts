import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { canonicalEmail, canonicalUsername } from '../../src/auth/usernames.js'

describe('canonicalUsername', () => {
  it('lowercases ASCII letters', () => {
    assert.equal(canonicalUsername('Alice'), 'alice')
    assert.equal(canonicalUsername('ALICE'), 'alice')
  })

  it('folds fullwidth letters to ASCII through NFKC', () => {
    assert.equal(canonicalUsername('ａｌｉｃｅ'), 'alice')
    assert.equal(canonicalUsername('ＡＬＩＣＥ'), 'alice')
  })

  it('folds other compatibility forms, such as the Kelvin sign, to the same user', () => {
    assert.equal(canonicalUsername('\u212Aate'), 'kate') // KELVIN SIGN
  })

  it('accepts digits, dots, underscores and hyphens inside the name', () => {
    assert.equal(canonicalUsername('a.b_c-d9'), 'a.b_c-d9')
    assert.equal(canonicalUsername('007'), '007')
  })

  it('accepts 3 and 32 characters and rejects 2 and 33', () => {
    assert.equal(canonicalUsername('abc'), 'abc')
    assert.equal(canonicalUsername('a'.repeat(32)), 'a'.repeat(32))
    assert.equal(canonicalUsername('ab'), null)
    assert.equal(canonicalUsername('a'.repeat(33)), null)
    assert.equal(canonicalUsername(''), null)
  })

  it('rejects a leading or trailing ".", "_" or "-"', () => {
    for (const c of ['.', '_', '-']) {
      assert.equal(canonicalUsername(`${c}alice`), null, `leading ${c}`)
      assert.equal(canonicalUsername(`alice${c}`), null, `trailing ${c}`)
    }
  })

  it('rejects "@", spaces and other punctuation', () => {
    for (const name of [
      'al@ce',
      'alice@example.com',
      'al ice',
      ' alice',
      'alice ',
      'al+ce',
      'al/ce',
    ]) {
      assert.equal(canonicalUsername(name), null, JSON.stringify(name))
    }
  })

  it('rejects control characters, including a trailing newline', () => {
    assert.equal(canonicalUsername('alice\n'), null)
    assert.equal(canonicalUsername('ali\u0000ce'), null)
  })

  it('rejects letters that are not ASCII after NFKC', () => {
    assert.equal(canonicalUsername('ålice'), null)
    assert.equal(canonicalUsername('a\u030alice'), null) // decomposed å composes under NFKC
    assert.equal(canonicalUsername('аlice'), null) // Cyrillic а
  })

  it('rejects the Turkish dotless and dotted i instead of folding them to "i"', () => {
    assert.equal(canonicalUsername('al\u0131ce'), null) // ı LATIN SMALL LETTER DOTLESS I
    assert.equal(canonicalUsername('AL\u0130CE'), null) // İ LATIN CAPITAL LETTER I WITH DOT ABOVE
  })
})

describe('canonicalEmail', () => {
  it('lowercases a valid address', () => {
    assert.equal(canonicalEmail('Alice@Example.COM'), 'alice@example.com')
    assert.equal(canonicalEmail('a.b+tag@mail.example.org'), 'a.b+tag@mail.example.org')
  })

  it('rejects addresses without "@", without a local part or domain, or with spaces', () => {
    for (const input of [
      'alice',
      'alice@',
      '@example.com',
      'al ice@example.com',
      'alice@exa mple.com',
      'a@b@example.com',
    ]) {
      assert.equal(canonicalEmail(input), null, input)
    }
  })

  it('rejects a domain label that starts or ends with a hyphen', () => {
    assert.equal(canonicalEmail('alice@-example.com'), null)
    assert.equal(canonicalEmail('alice@example-.com'), null)
  })

  it('rejects a trailing newline', () => {
    assert.equal(canonicalEmail('alice@example.com\n'), null)
  })

  it('accepts 254 characters and rejects 255', () => {
    const domain = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.com` // 195 chars
    const at254 = `${'a'.repeat(254 - domain.length - 1)}@${domain}`
    assert.equal(at254.length, 254)
    assert.equal(canonicalEmail(at254), at254)
    assert.equal(canonicalEmail(`a${at254}`), null)
  })
})
