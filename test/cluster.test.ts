/**
 * PORTCULLIS_WORKERS: a node:cluster primary and its workers as real processes, on a SQLite file
 * and on PostgreSQL. Connections are pinned to workers through /proc (no response header says
 * which worker answered), so each assertion about "every worker" really covers each of them.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { type AddressInfo, connect, createServer } from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { startArguments } from '../scripts/start-command.mjs'
import { openStore } from '../src/store/open-store.js'
import { PASSWORD } from './helpers.js'
import {
  pinEveryWorker,
  type RunningCluster,
  sendOnce,
  startCluster,
  waitUntil,
} from './support/cluster-process.js'
import { freshDatabaseUrl, sharedDatabaseUrl } from './support/engines.js'
import { runServerToExit } from './support/server-process.js'

const cheap = {
  PORTCULLIS_ARGON2_MEMORY_KIB: '256',
  PORTCULLIS_ARGON2_ITERATIONS: '1',
  PORTCULLIS_ISSUER: 'http://portcullis.test',
}
const admin = {
  PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME: 'root',
  PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD: 'a long and unguessable bootstrap phrase',
}
const engines = ['sqlite', 'postgres'] as const
const root = fileURLToPath(new URL('..', import.meta.url))
const form = { 'content-type': 'application/x-www-form-urlencoded' }

async function databaseUrl(t: TestContext, engine: (typeof engines)[number]) {
  return engine === 'sqlite' ? sharedDatabaseUrl(t, 'sqlite') : freshDatabaseUrl(t, 'postgres')
}

async function register(url: string, username: string) {
  const answer = await sendOnce(
    url,
    'POST',
    '/register',
    { 'content-type': 'application/json' },
    JSON.stringify({ username, password: PASSWORD }),
  )
  assert.equal(answer.status, 201, answer.body)
}

async function login(url: string, username: string, password = PASSWORD): Promise<string> {
  const answer = await sendOnce(
    url,
    'POST',
    '/token',
    form,
    new URLSearchParams({ username, password }).toString(),
  )
  assert.equal(answer.status, 200, answer.body)
  return (JSON.parse(answer.body) as { access_token: string }).access_token
}

function readyLines(cluster: RunningCluster) {
  return cluster
    .output()
    .split('\n')
    .filter((line) => line.includes('"msg":"portcullis ready"'))
}

describe('PORTCULLIS_WORKERS above 1', () => {
  for (const engine of engines) {
    it(`on ${engine}: one ready line, every worker serves, one signing key and one admin`, {
      timeout: 60_000,
    }, async (t) => {
      const url = await databaseUrl(t, engine)
      const cluster = await startCluster(t, 2, {
        ...cheap,
        ...admin,
        PORTCULLIS_DATABASE_URL: url,
      })
      const ready = readyLines(cluster)
      assert.equal(ready.length, 1, cluster.output())
      assert.match(ready[0] ?? '', /"workers":2/)
      assert.match(ready[0] ?? '', new RegExp(`"pid":${cluster.primary}\\b`))
      assert.equal(cluster.workers().length, 2)
      // Every process runs with npm start's node flags (the heap bounds): workers inherit them.
      const flags = startArguments(root).slice(0, -1)
      assert.ok(flags.length > 0)
      for (const pid of [cluster.primary, ...cluster.workers()]) {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
        for (const flag of flags) assert.ok(argv.includes(flag), `${pid}: ${argv.join(' ')}`)
      }
      // The bootstrap admin was made once, by the primary: no worker logs about it.
      assert.equal(cluster.output().match(/created bootstrap admin root/g)?.length, 1)
      assert.doesNotMatch(cluster.output(), /bootstrap admin already made/)
      const pinned = await pinEveryWorker(cluster)
      assert.equal(new Set(pinned.map((p) => p.pid)).size, 2)
      const token = await login(cluster.url, 'root', admin.PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD)
      for (const worker of pinned) {
        const jwks = await worker.send('GET', '/.well-known/jwks.json')
        assert.equal(jwks.status, 200)
        assert.equal((JSON.parse(jwks.body) as { keys: unknown[] }).keys.length, 1, jwks.body)
        const me = await worker.send('GET', '/users/me', { authorization: `Bearer ${token}` })
        assert.equal(me.status, 200, `worker ${worker.pid}: ${me.body}`)
        worker.close()
      }
      const store = await openStore(url, { poolSize: 1, timeoutMs: 5000 })
      try {
        const counts = await store.counts()
        assert.equal(counts.signing_keys, 1)
        assert.equal(counts.users, 1)
      } finally {
        await store.close()
      }
    })
  }

  it('refuses an in-memory SQLite database, which each worker would have a copy of', {
    timeout: 30_000,
  }, async () => {
    const { code, stderr } = await runServerToExit({
      ...cheap,
      PORTCULLIS_WORKERS: '2',
      PORTCULLIS_DATABASE_URL: 'sqlite::memory:',
    })
    assert.equal(code, 1)
    assert.match(
      stderr,
      /^portcullis: configuration error: PORTCULLIS_WORKERS=2 needs a database the workers share: a SQLite file or PostgreSQL, not sqlite::memory:\n$/,
    )
  })
})

describe('a cluster serving', () => {
  it('PORTCULLIS_WORKERS=1 runs no cluster: one process, ready without a worker count', {
    timeout: 60_000,
  }, async (t) => {
    const server = await startCluster(t, 1, {
      ...cheap,
      PORTCULLIS_DATABASE_URL: await sharedDatabaseUrl(t, 'sqlite'),
    })
    assert.deepEqual(server.workers(), [])
    const ready = readyLines(server)
    assert.equal(ready.length, 1)
    assert.doesNotMatch(ready[0] ?? '', /"workers"/)
    assert.equal((await sendOnce(server.url, 'GET', '/healthz')).status, 200)
    assert.equal(await server.stop(), 0)
  })

  for (const engine of engines) {
    it(`on ${engine}: concurrent logins across two workers never fail`, {
      timeout: 90_000,
    }, async (t) => {
      const cluster = await startCluster(t, 2, {
        ...cheap,
        PORTCULLIS_DATABASE_URL: await databaseUrl(t, engine),
        // On: the login throttle and rate limits write their counters on every login too.
        PORTCULLIS_RATE_LIMITS: 'true',
        PORTCULLIS_REGISTER_LIMIT: '1000000',
        PORTCULLIS_REQUEST_LIMIT: '1000000',
      })
      const users = Array.from({ length: 8 }, (_, i) => `user${i}`)
      for (const user of users) await register(cluster.url, user)
      for (let round = 0; round < 5; round++) {
        // 40 logins at once, each on its own connection: round-robin gives both workers half.
        const answers = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            sendOnce(
              cluster.url,
              'POST',
              '/token',
              form,
              new URLSearchParams({
                username: users[i % users.length] ?? '',
                password: PASSWORD,
              }).toString(),
            ),
          ),
        )
        const failed = answers.filter((a) => a.status !== 200)
        assert.deepEqual(failed, [], `round ${round}`)
      }
    })
  }

  it('replaces a worker that was killed, and keeps answering', { timeout: 60_000 }, async (t) => {
    const cluster = await startCluster(t, 2, {
      ...cheap,
      PORTCULLIS_DATABASE_URL: await sharedDatabaseUrl(t, 'sqlite'),
    })
    const before = cluster.workers()
    assert.equal(before.length, 2)
    const victim = before[0] ?? 0
    process.kill(victim, 'SIGKILL')
    await waitUntil(
      () => /"msg":"replacement worker listening"/.test(cluster.output()),
      20_000,
      () => `no replacement:\n${cluster.output()}`,
    )
    const after = cluster.workers()
    assert.equal(after.length, 2)
    assert.ok(!after.includes(victim), `${victim} still listed in ${after}`)
    assert.ok(after.includes(before[1] ?? 0), 'the other worker was left running')
    assert.match(cluster.output(), new RegExp(`"worker":${victim},"code":null,"signal":"SIGKILL"`))
    for (let i = 0; i < 10; i++) {
      assert.equal((await sendOnce(cluster.url, 'GET', '/healthz')).status, 200)
    }
    const pinned = await pinEveryWorker(cluster)
    assert.deepEqual(
      pinned.map((p) => p.pid).sort((a, b) => a - b),
      after,
    )
    for (const p of pinned) p.close()
  })

  it('drains every worker on SIGTERM: a request in flight completes, new connections are refused, exit 0', {
    timeout: 60_000,
  }, async (t) => {
    const cluster = await startCluster(t, 2, {
      ...cheap,
      PORTCULLIS_DATABASE_URL: await sharedDatabaseUrl(t, 'sqlite'),
    })
    await register(cluster.url, 'alice')
    const workers = cluster.workers()
    // A login whose body is still arriving when the signal comes: in flight until we finish it.
    const login = await loginInFlight(cluster.url, 'alice')
    const { port } = new URL(cluster.url)
    const exit = cluster.stop('SIGTERM')
    await waitUntil(
      () => refused(Number(port)),
      10_000,
      () => `still accepting:\n${cluster.output()}`,
    )
    const response = await login.finish()
    assert.match(response, /^HTTP\/1\.1 200 /, response)
    assert.match(response, /"access_token":"/)
    assert.equal(await exit, 0, cluster.output())
    // Gone (or a zombie, where nothing reaps the orphans in a container).
    for (const pid of workers) assert.ok(!running(pid), `worker ${pid} still runs`)
  })
})

describe('a worker whose primary is gone', () => {
  it('finishes the request in flight before it exits', { timeout: 60_000 }, async (t) => {
    const cluster = await startCluster(t, 2, {
      ...cheap,
      PORTCULLIS_DATABASE_URL: await sharedDatabaseUrl(t, 'sqlite'),
    })
    await register(cluster.url, 'alice')
    const workers = cluster.workers()
    const login = await loginInFlight(cluster.url, 'alice')
    // The primary dies without a word: its workers see the IPC channel close.
    await cluster.stop('SIGKILL')
    await sleep(200)
    const response = await login.finish()
    assert.match(response, /^HTTP\/1\.1 200 /, response || '(no answer: the worker exited at once)')
    assert.match(response, /"access_token":"/)
    await waitUntil(
      () => workers.every((pid) => !running(pid)),
      10_000,
      () => `workers still running:\n${cluster.output()}`,
    )
  })
})

/**
 * A login whose body is still arriving: the worker has its head (after 200 ms: there is no
 * observable event to wait for) and waits for the rest; `finish` sends it and resolves with the
 * raw answer once the connection closes.
 */
async function loginInFlight(url: string, username: string) {
  const body = new URLSearchParams({ username, password: PASSWORD }).toString()
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
  await once(socket, 'connect')
  let response = ''
  socket.on('data', (d) => {
    response += d
  })
  const ended = once(socket, 'close')
  socket.write(
    `POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
  )
  await sleep(200)
  return {
    finish: async () => {
      socket.write(body.slice(5))
      await ended
      return response
    },
  }
}

/** Whether a new connection to the port is refused. */
async function refused(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1')
  try {
    await once(socket, 'connect')
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED'
  } finally {
    socket.destroy()
  }
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

describe('the status cache across workers', () => {
  // Real time here, sparingly: the bound holds in each worker's own process, where no test
  // clock reaches. Each check goes through a connection pinned to each worker.
  const cases = [
    { engine: 'sqlite', bound: '0' },
    { engine: 'postgres', bound: '0' },
    { engine: 'sqlite', bound: '200' },
  ] as const
  for (const { engine, bound } of cases) {
    it(`on ${engine} with PORTCULLIS_STATUS_CACHE_MS=${bound}: a logout through one worker is refused by every worker ${bound === '0' ? 'at once' : 'after the bound'}`, {
      timeout: 60_000,
    }, async (t) => {
      const cluster = await startCluster(t, 2, {
        ...cheap,
        PORTCULLIS_DATABASE_URL: await databaseUrl(t, engine),
        PORTCULLIS_STATUS_CACHE_MS: bound,
      })
      await register(cluster.url, 'alice')
      const token = await login(cluster.url, 'alice')
      const bearer = { authorization: `Bearer ${token}` }
      const [a, b] = await pinEveryWorker(cluster)
      assert.ok(a && b)
      t.after(() => {
        a.close()
        b.close()
      })
      // Both workers have the session's status in their caches now.
      for (const worker of [a, b])
        assert.equal((await worker.send('GET', '/users/me', bearer)).status, 200)
      assert.equal((await a.send('POST', '/logout', bearer)).status, 204)
      const loggedOut = Date.now()
      if (bound !== '0') await sleep(Number(bound) + 50 - (Date.now() - loggedOut))
      for (const worker of [b, a]) {
        const me = await worker.send('GET', '/users/me', bearer)
        assert.equal(me.status, 401, `worker ${worker.pid}: ${me.body}`)
      }
      // And every new connection, whichever worker round-robin hands it to.
      for (let i = 0; i < 10; i++) {
        assert.equal((await sendOnce(cluster.url, 'GET', '/users/me', bearer)).status, 401)
      }
    })
  }
})

describe('metrics of a cluster', () => {
  it("the primary's listener answers the workers' default metrics summed", {
    timeout: 60_000,
  }, async (t) => {
    const port = await freePort()
    const cluster = await startCluster(t, 2, {
      ...cheap,
      PORTCULLIS_DATABASE_URL: await sharedDatabaseUrl(t, 'sqlite'),
      PORTCULLIS_METRICS_PORT: String(port),
    })
    const workers = cluster.workers()
    const answer = await fetch(`http://127.0.0.1:${port}/metrics`)
    const text = await answer.text()
    const rss = workers.map(residentBytes)
    assert.equal(answer.status, 200, text)
    assert.match(answer.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    assert.equal(text.match(/^# TYPE process_resident_memory_bytes gauge$/gm)?.length, 1)
    const value = Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1])
    // Each worker's resident memory (read from /proc just after the scrape; an idle worker's
    // moves by far less than the 10% allowed) summed: not one worker's figure, not the primary's.
    const sum = rss.reduce((x, y) => x + y, 0)
    assert.ok(Math.abs(value - sum) < sum * 0.1, `${value} is not about ${sum} (${rss})`)
    assert.ok(value > Math.max(...rss) * 1.4, `${value} looks like one worker's (${rss})`)
  })
})

/** A process's resident memory in bytes, from /proc (what prom-client reports too). */
function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) * 1024
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
