import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { runCli } from '../support/cli.js'

// The tutorial's bcrypt hash of "secret": the import checks its format, never the password.
const hash = '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW'

async function importRows(t: TestContext, rows: object[]) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-import-fields-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'users.jsonl')
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'))
  const result = await runCli(['users', 'import', file], { PORTCULLIS_DATA_DIR: dir })
  const store = openSqliteStore(join(dir, 'portcullis.db'))
  t.after(() => store.close())
  return { result, store }
}

// users import applies the user-field rules of POST /register (README, "Importing users").
describe('users import: the user-field rules of /register', () => {
  it('rejects an empty email, as /register answers 400 for it', async (t) => {
    const { result, store } = await importRows(t, [
      { username: 'lena', email: '', password_hash: hash },
      { username: 'mona', email: 'mona@example.com', password_hash: hash },
    ])
    assert.equal(result.code, 1, result.out)
    assert.equal(
      result.stdout,
      'imported 1, skipped 0 (existing), rejected 1\nline 1: email is not a valid email address\n',
    )
    assert.equal(await store.users.findByUsername('lena'), null)
  })

  it('keeps an empty full_name as sent, as /register stores and answers it', async (t) => {
    const { result, store } = await importRows(t, [
      { username: 'nora', full_name: '', password_hash: hash },
    ])
    assert.equal(result.code, 0, result.out)
    assert.equal((await store.users.findByUsername('nora'))?.fullName, '')
  })

  it('reads JSON null as a field not given (a database export writes null)', async (t) => {
    const { result, store } = await importRows(t, [
      { username: 'olga', email: null, full_name: null, password_hash: hash },
    ])
    assert.equal(result.code, 0, result.out)
    const olga = await store.users.findByUsername('olga')
    assert.equal(olga?.email, null)
    assert.equal(olga?.fullName, null)
  })
})
