import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { PASSWORD } from '../helpers.js'
import { runCli } from '../support/cli.js'
import { sampleHashes } from './import-fixtures.js'

function tempDir(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-dry-run-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const importFile = (dir: string, file: string, ...flags: string[]) =>
  runCli(['users', 'import', file, ...flags], { PORTCULLIS_DATA_DIR: dir })

describe('portcullis users import --dry-run', () => {
  it('reports imported, skipped and rejected exactly as the real run then does, writing nothing', async (t) => {
    const dir = tempDir(t)
    const [bcrypt] = await sampleHashes(PASSWORD)
    const hash = bcrypt?.hash ?? ''
    const created = await runCli(
      ['users', 'create', '--username', 'old', '--email', 'old@example.com'],
      { PORTCULLIS_DATA_DIR: dir },
      PASSWORD,
    )
    assert.equal(created.code, 0, created.out)
    const file = join(dir, 'users.jsonl')
    const rows = [
      { username: 'new', email: 'new@example.com', password_hash: hash },
      { username: 'OLD', password_hash: hash }, // the existing user: skipped
      { username: 'other', email: 'OLD@example.com', password_hash: hash }, // its email: skipped
      { username: 'NEW', password_hash: hash }, // an earlier row's username: skipped
      { username: 'third', email: 'new@example.com', password_hash: hash }, // earlier row's email
      { username: 'x', password_hash: hash }, // too short: rejected
      { username: 'last', password_hash: hash },
    ]
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'))

    const dry = await importFile(dir, file, '--dry-run', '--batch-size', '2')
    assert.equal(dry.code, 1, dry.out)
    const [dryHead, ...dryRest] = dry.stdout.split('\n')
    assert.equal(
      dryHead,
      'dry run: would import 2, skip 4 (existing), reject 1; nothing was written',
    )
    const store = openSqliteStore(join(dir, 'portcullis.db'))
    t.after(() => store.close())
    assert.equal(await store.users.findByUsername('new'), null)

    const real = await importFile(dir, file, '--batch-size', '2')
    assert.equal(real.code, 1, real.out)
    const [realHead, ...realRest] = real.stdout.split('\n')
    assert.equal(realHead, 'imported 2, skipped 4 (existing), rejected 1')
    assert.deepEqual(realRest, dryRest)
    assert.match(dryRest[0] ?? '', /^line 6: /)
    assert.notEqual(await store.users.findByUsername('new'), null)

    const again = await importFile(dir, file, '--dry-run')
    assert.equal(
      again.stdout.split('\n')[0],
      'dry run: would import 0, skip 6 (existing), reject 1; nothing was written',
    )
  })
})
