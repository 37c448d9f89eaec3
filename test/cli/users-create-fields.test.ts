import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { usernameRule } from '../../src/auth/usernames.js'
import { runCli } from '../support/cli.js'

function tempDir(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-users-create-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const create = (dir: string, args: string[]) =>
  runCli(['users', 'create', ...args], { PORTCULLIS_DATA_DIR: dir }, '')

// `users create` applies the user-field rules of /register before it asks for the password.
describe('portcullis users create: the user fields first', () => {
  for (const [label, args, message] of [
    ['an invalid username', ['--username', 'x'], usernameRule],
    ['an empty email', ['--username', 'dave', '--email', ''], 'email is not a valid email address'],
    [
      'a full name with ESC',
      ['--username', 'dave', '--full-name', 'a\u001b[2Jb'],
      'full_name contains control characters',
    ],
  ] as const) {
    it(`refuses ${label} before reading a password`, async (t) => {
      const res = await create(tempDir(t), [...args])
      assert.equal(res.code, 1, res.out)
      assert.equal(res.stderr, `portcullis users create: ${message}\n`)
    })
  }
})
