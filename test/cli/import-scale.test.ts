import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { buildApp } from '../../src/app.js'
import { systemClock } from '../../src/clock.js'
import { createServices } from '../../src/services.js'
import { openStore } from '../../src/store/open-store.js'
import { PASSWORD, postToken, testConfig } from '../helpers.js'
import { runCli } from '../support/cli.js'
import { generatedUsername, sampleHashes, writeUsersFile } from './import-fixtures.js'

const rows = 100_000

describe('portcullis users import at scale', () => {
  it('imports 100,000 users with bcrypt and argon2 hashes, who then log in and are re-hashed', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-import-scale-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const hashes = await sampleHashes(PASSWORD)
    const file = writeUsersFile(join(dir, 'users.jsonl'), rows, hashes)

    const started = performance.now()
    const res = await runCli(['users', 'import', file], { PORTCULLIS_DATA_DIR: dir })
    const seconds = (performance.now() - started) / 1000
    assert.equal(res.code, 0, res.out)
    assert.equal(res.stdout, `imported ${rows}, skipped 0 (existing), rejected 0\n`)
    t.diagnostic(`imported ${rows} rows in ${seconds.toFixed(1)} s (process start included)`)

    const config = testConfig({ PORTCULLIS_DATABASE_URL: `sqlite:${join(dir, 'portcullis.db')}` })
    const services = await createServices(
      config,
      await openStore(config.store.databaseUrl, config.store.pool),
      systemClock,
    )
    const app = await buildApp(services)
    t.after(async () => {
      await app.close()
      await services.store.close()
    })
    assert.equal((await services.store.counts()).users, rows)
    // Rows cycle bcrypt, argon2id (weaker than configured), argon2i: one of each, near the end.
    for (const i of [rows - 3, rows - 2, rows - 1]) {
      const username = generatedUsername(hashes, i)
      const before = await services.store.users.findByUsername(username)
      assert.equal(before?.passwordHash, hashes[i % hashes.length]?.hash)
      const login = await postToken(app, { username, password: PASSWORD })
      assert.equal(login.statusCode, 200, `${username}: ${login.body}`)
      const after = await services.store.users.findByUsername(username)
      assert.match(after?.passwordHash ?? '', /^\$argon2id\$v=19\$m=256,t=1,p=1\$/, username)
      const wrong = await postToken(app, { username, password: `${PASSWORD}!` })
      assert.equal(wrong.statusCode, 400)
    }
  })
})
