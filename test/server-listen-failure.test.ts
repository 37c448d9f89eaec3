/**
 * runServer embedded in a process that stays up: a listen that fails (the port is taken) must
 * reject and leave nothing behind: no signal handlers that would close a dead app later, no
 * timers, no open store (the SQLite file can be removed and the process exits on its own).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runServer } from '../src/server-main.js'

describe('runServer when the port is taken', () => {
  it('rejects with EADDRINUSE and installs no signal handlers', async (t) => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    t.after(() => blocker.close())
    const address = blocker.address()
    assert.ok(address && typeof address === 'object')
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-listen-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const before = {
      SIGINT: process.listenerCount('SIGINT'),
      SIGTERM: process.listenerCount('SIGTERM'),
    }
    await assert.rejects(
      runServer(
        {
          PORTCULLIS_PORT: String(address.port),
          PORTCULLIS_HOST: '127.0.0.1',
          PORTCULLIS_DATA_DIR: dir,
          PORTCULLIS_LOG_LEVEL: 'silent',
          PORTCULLIS_ARGON2_MEMORY_KIB: '256',
          PORTCULLIS_ARGON2_ITERATIONS: '1',
        },
        false,
      ),
      { code: 'EADDRINUSE' },
    )
    assert.deepEqual(
      { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') },
      before,
    )
  })
})
