import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkUserFields } from '../../src/auth/user-fields.js'
import { usernameRule } from '../../src/auth/usernames.js'

describe('checkUserFields', () => {
  it('canonicalizes the username and the email, and keeps the email as sent', () => {
    assert.deepEqual(checkUserFields({ username: 'Ａlice', email: 'Alice@Example.com' }), {
      username: 'alice',
      email: 'Alice@Example.com',
      emailCanonical: 'alice@example.com',
      fullName: null,
    })
  })

  it('treats undefined and null as a field not given', () => {
    for (const absent of [undefined, null]) {
      const fields = checkUserFields({ username: 'bob', email: absent, fullName: absent })
      assert.deepEqual(fields, {
        username: 'bob',
        email: null,
        emailCanonical: null,
        fullName: null,
      })
    }
  })

  it('checks an empty string as a value: no email, but an empty full name', () => {
    assert.equal(
      checkUserFields({ username: 'bob', email: '' }),
      'email is not a valid email address',
    )
    assert.equal(
      (checkUserFields({ username: 'bob', fullName: '' }) as { fullName: string }).fullName,
      '',
    )
  })

  it('names the first rule that fails', () => {
    assert.equal(checkUserFields({ username: 'x' }), usernameRule)
    assert.equal(
      checkUserFields({ username: 'bob', fullName: 'x'.repeat(201) }),
      'full_name is over 200 characters',
    )
    assert.equal(
      checkUserFields({ username: 'bob', fullName: '😀'.repeat(200) }) instanceof Object,
      true,
    )
    assert.equal(
      checkUserFields({ username: 'bob', fullName: 'a\u001bb' }),
      'full_name contains control characters',
    )
    assert.equal(
      checkUserFields({ username: 'bob', fullName: 'a\tb\r\nc' }) instanceof Object,
      true,
    )
  })
})
