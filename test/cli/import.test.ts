import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { before, describe, it, type TestContext } from 'node:test'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { PASSWORD } from '../helpers.js'
import { runCli } from '../support/cli.js'
import { type SampleHash, sampleHashes } from './import-fixtures.js'

function tempDir(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-import-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const importFile = (dir: string, file: string, ...flags: string[]) =>
  runCli(['users', 'import', file, ...flags], { PORTCULLIS_DATA_DIR: dir })

/** The message JSON.parse gives for `text` on this Node version. */
function jsonError(text: string): string {
  try {
    JSON.parse(text)
  } catch (error) {
    return (error as Error).message
  }
  return ''
}

function openDb(t: TestContext, dir: string) {
  const store = openSqliteStore(join(dir, 'portcullis.db'))
  t.after(() => store.close())
  return store
}

describe('portcullis users import', () => {
  let hashes: SampleHash[]
  let bcryptHash: string
  let argon2Hash: string
  before(async () => {
    hashes = await sampleHashes(PASSWORD)
    bcryptHash = hashes[0]?.hash ?? ''
    argon2Hash = hashes[1]?.hash ?? ''
  })

  it('imports JSON Lines, reports bad rows by line number, and changes nothing when re-run', async (t) => {
    const dir = tempDir(t)
    const id = '0b0e3f0c-8d6e-4c1e-9a53-5a3c1a1f2b7e'
    const rows = [
      { username: 'Alice', email: 'Alice@Example.com', password_hash: bcryptHash },
      { username: 'bob', hashed_password: argon2Hash, roles: 'user admin', disabled: true, id },
      '{"username": "broken",',
      '',
      { username: 'carol', password_hash: 'plaintext-password' },
      { username: 'dave', password_hash: bcryptHash, roles: ['user', 'wizard'] },
      { username: 'x', password_hash: bcryptHash },
      { username: 'erin', password_hash: bcryptHash, is_admin: true },
      { username: 'ALICE', password_hash: argon2Hash },
      { username: 'frank', password_hash: `$2b$03${bcryptHash.slice(6)}` },
      { username: 'gina', email: 'alice@example.com', password_hash: argon2Hash },
      { username: 'hank', password_hash: hashes[2]?.hash, full_name: 'Hank H' },
      { username: 'ivan', password_hash: `$2b$15${bcryptHash.slice(6)}` },
      { username: 'judy', password_hash: argon2Hash, full_name: 'a\u001b[2Kb' },
      { username: 'kim', password_hash: argon2Hash, full_name: 'x'.repeat(70_000) },
    ]
    const file = join(dir, 'users.jsonl')
    writeFileSync(
      file,
      rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\r\n'),
    )
    const first = await importFile(dir, file)
    assert.equal(first.code, 1, first.out)
    assert.equal(
      first.stdout,
      [
        'imported 3, skipped 2 (existing), rejected 9',
        `line 3: not valid JSON (${jsonError('{"username": "broken",')})`,
        'line 5: password hash is neither argon2 ($argon2id$…) nor bcrypt ($2a$, $2b$ or $2y$)',
        'line 6: unknown roles: wizard',
        `line 7: ${(await import('../../src/auth/usernames.js')).usernameRule}`,
        'line 8: unknown field "is_admin" (known: id, username, password_hash, hashed_password, email, full_name, disabled, roles)',
        'line 10: bcrypt cost 3 is outside 4 to 14 (every failed login would pay it)',
        'line 13: bcrypt cost 15 is outside 4 to 14 (every failed login would pay it)',
        'line 14: full_name contains control characters',
        'line 15: longer than 65536 characters',
        '',
      ].join('\n'),
    )
    assert.equal(first.stderr, '', 'no progress bar when stderr is not a terminal')
    const store = openDb(t, dir)
    const alice = await store.users.findByUsername('alice')
    assert.equal(alice?.passwordHash, bcryptHash)
    assert.equal(alice?.emailCanonical, 'alice@example.com')
    assert.deepEqual(alice?.roles, ['user'])
    const bob = await store.users.findByUsername('bob')
    assert.equal(bob?.id, id)
    assert.deepEqual(bob?.roles, ['user', 'admin'])
    assert.equal(bob?.disabled, true)
    assert.equal((await store.users.findByUsername('hank'))?.fullName, 'Hank H')
    assert.equal(await store.users.findByUsername('gina'), null, 'email taken by an earlier row')
    const [audit] = await store.audit.list({ type: 'admin.user.import', limit: 5 })
    assert.equal(audit?.actorId, 'cli')
    assert.deepEqual(JSON.parse(audit?.detail ?? '{}'), {
      file: 'users.jsonl',
      imported: 3,
      skipped: 2,
      rejected: 9,
    })

    const again = await importFile(dir, file)
    assert.equal(again.code, 1)
    assert.match(again.stdout, /^imported 0, skipped 5 \(existing\), rejected 9\n/)
    assert.equal((await store.users.search({ limit: 100 })).length, 3)
  })

  it('imports the tutorial CSV (hashed_password, 0/1 flags, CRLF, quoted fields) with exact line numbers', async (t) => {
    const dir = tempDir(t)
    const file = join(dir, 'users.csv')
    const csv = [
      'username,email,full_name,hashed_password,disabled',
      `johndoe,johndoe@example.com,"Doe, John",${bcryptHash},0`,
      `"janedoe",,"Jane\r\nDoe","${argon2Hash}",1`,
      '',
      `toomany,a@b.io,x,${bcryptHash},0,extra`,
      `maybe,,,${bcryptHash},perhaps`,
      `last,,,${bcryptHash},`,
    ].join('\r\n')
    writeFileSync(file, `\uFEFF${csv}\r\n`)
    const res = await importFile(dir, file)
    assert.equal(res.code, 1, res.out)
    assert.equal(
      res.stdout,
      [
        'imported 3, skipped 0 (existing), rejected 2',
        'line 6: has 6 fields; the header has 5 (quote fields that hold commas, such as argon2 hashes)',
        'line 7: disabled must be true or false',
        '',
      ].join('\n'),
    )
    const store = openDb(t, dir)
    const jane = await store.users.findByUsername('janedoe')
    assert.equal(jane?.disabled, true)
    assert.equal(jane?.email, null)
    assert.equal((await store.users.findByUsername('johndoe'))?.fullName, 'Doe, John')
    assert.equal((await store.users.findByUsername('last'))?.disabled, false)
  })

  it('validates only with --dry-run, and refuses an unknown format or a missing file in one line', async (t) => {
    const dir = tempDir(t)
    const file = join(dir, 'users.ndjson')
    writeFileSync(file, `${JSON.stringify({ username: 'zed', password_hash: bcryptHash })}\n`)
    const dry = await importFile(dir, file, '--dry-run')
    assert.equal(dry.code, 0, dry.out)
    assert.equal(
      dry.stdout,
      'dry run: would import 1, skip 0 (existing), reject 0; nothing was written\n',
    )
    assert.equal(await openDb(t, dir).users.findByUsername('zed'), null)

    const unknown = await importFile(dir, join(dir, 'users.txt'))
    assert.equal(unknown.code, 2)
    assert.match(
      unknown.stderr,
      /^portcullis users import: cannot tell the format of .*users\.txt; pass --format jsonl\|csv \(usage: .*\)\n$/,
    )
    const missing = await importFile(dir, join(dir, 'nope.csv'))
    assert.equal(missing.code, 1)
    assert.match(
      missing.stderr,
      /^portcullis users import: cannot read .*nope\.csv: ENOENT[^\n]*\n$/,
    )
    const forced = await importFile(dir, file, '--format', 'csv')
    assert.equal(forced.code, 1)
    assert.match(
      forced.stdout,
      /^imported 0, skipped 0 \(existing\), rejected 1\nline 1: header: unknown column "\{"username":"zed"" /,
    )
    const header = join(dir, 'no-hash.csv')
    writeFileSync(header, 'username,email\nzed,z@example.com\n')
    const noHash = await importFile(dir, header)
    assert.match(noHash.stdout, /^line 1: header: no password_hash \(or hashed_password\) column$/m)
  })

  it('escapes every control and format character a crafted file puts in its messages', async (t) => {
    const dir = tempDir(t)
    // ESC (C0), CSI (C1), DEL, a bidi override and a line separator, in the places whose text
    // the messages quote: the JSON parser's message, an unknown role, a CSV header name.
    const evil = '\u001b[2J\u009b31m\u007f\u202eevil\u2028fake'
    const jsonl = join(dir, 'evil.jsonl')
    writeFileSync(
      jsonl,
      [
        `{"username": ${evil}}`,
        JSON.stringify({ username: 'ok1', password_hash: bcryptHash, roles: `user,${evil}` }),
      ].join('\n'),
    )
    const csv = join(dir, 'evil.csv')
    writeFileSync(csv, `username,password_hash,${evil}\nzed,${bcryptHash},x\n`)
    for (const file of [jsonl, csv]) {
      const res = await importFile(dir, file)
      assert.equal(res.code, 1, res.out)
      assert.doesNotMatch(res.out.replaceAll('\n', ''), /[\p{Cc}\p{Cf}\u2028\u2029]/u, res.out)
      assert.match(res.out, /\\x1b\[2J\\x9b31m\\x7f\\u202eevil/, res.out)
    }
    assert.match((await importFile(dir, csv)).out, /\\u2028fake/)
  })

  it('reports the first 20 rejections and how many more there were', async (t) => {
    const dir = tempDir(t)
    const file = join(dir, 'bad.jsonl')
    writeFileSync(file, Array.from({ length: 25 }, (_, i) => `{"username":"u${i}x"}`).join('\n'))
    const res = await importFile(dir, file)
    assert.equal(res.code, 1)
    const lines = res.stdout.trim().split('\n')
    assert.equal(lines[0], 'imported 0, skipped 0 (existing), rejected 25')
    assert.equal(lines[1], 'line 1: password_hash is missing')
    assert.equal(lines.length, 22)
    assert.equal(lines[21], '… and 5 more')
  })
})
