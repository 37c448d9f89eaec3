import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runCli } from '../support/cli.js'

describe('portcullis keys', () => {
  it('rotates (published now, signing later) and lists the ring', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-keys-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const env = { PORTCULLIS_DATA_DIR: dir }
    const first = await runCli(['keys', 'list'], env)
    assert.equal(first.code, 0, first.out)
    assert.match(first.out, /^[A-Za-z0-9_-]{43} {2}ES256 {2}active/m)
    const rotated = await runCli(['keys', 'rotate', '--activate-in', '600'], env)
    assert.equal(rotated.code, 0, rotated.out)
    const kid = rotated.out.split('\n')[0]
    assert.match(kid ?? '', /^[A-Za-z0-9_-]{43}$/)
    const listed = await runCli(['keys', 'list'], env)
    assert.match(listed.out, new RegExp(`^${kid} {2}ES256 {2}next`, 'm'))
    assert.equal((await runCli(['keys', 'rotate', '--activate-in', 'soon'], env)).code, 2)
  })
})
