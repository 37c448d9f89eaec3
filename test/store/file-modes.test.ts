import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { looseModeWarnings } from '../../src/store/file-modes.js'
import { openSqliteStore } from '../../src/store/sqlite.js'

const modeOf = (path: string) => statSync(path).mode & 0o777

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-modes-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('SQLite file modes', () => {
  it('creates the data directory 0700 and the database, -wal and -shm 0600 even with umask 000', async (t) => {
    const path = join(tempDir(t), 'data', 'portcullis.db')
    const previous = process.umask(0)
    let store: ReturnType<typeof openSqliteStore>
    try {
      store = openSqliteStore(path)
      await store.secrets.getOrCreate('device-key', 'value', '2026-06-01T12:00:00.000Z')
    } finally {
      process.umask(previous)
    }
    t.after(() => store.close())
    assert.equal(modeOf(join(path, '..')).toString(8), '700')
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      assert.equal(modeOf(file).toString(8), '600', file)
    }
    assert.deepEqual(looseModeWarnings(path), [])
  })

  it('warns about an existing directory or file open to group or others, and leaves it as it is', async (t) => {
    const dir = join(tempDir(t), 'data')
    mkdirSync(dir)
    chmodSync(dir, 0o755)
    const path = join(dir, 'portcullis.db')
    const first = openSqliteStore(path)
    await first.close()
    chmodSync(path, 0o644)
    const store = openSqliteStore(path)
    t.after(() => store.close())
    assert.equal(modeOf(dir).toString(8), '755', 'an existing directory is not changed')
    const warnings = looseModeWarnings(path)
    // SQLite gives -wal and -shm the mode of the database file.
    assert.deepEqual(
      warnings.map((w) => w.slice(dir.length - 'data'.length).replace(/; it holds.*/, '')),
      [
        'data is accessible to group or others (mode 0755)',
        'data/portcullis.db is accessible to group or others (mode 0644)',
        'data/portcullis.db-wal is accessible to group or others (mode 0644)',
        'data/portcullis.db-shm is accessible to group or others (mode 0644)',
      ],
    )
    assert.match(warnings[0] ?? '', /chmod 700 it$/)
    assert.match(warnings[1] ?? '', /chmod 600 it$/)
  })
})
