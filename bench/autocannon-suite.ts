// The fallback when wrk is not on the PATH: autocannon (a Node load generator, in child
// processes on the same cores as the servers). The bare ceiling then measures the client's
// limit rather than the server's, so ratios against it come out higher than they are.
import { join } from 'node:path'
import type { LoadClient } from './children.js'
import type { LoadJob, LoadSummary, RequestVariant } from './load-job.js'
import { treeMemory } from './proc.js'
import {
  type Aggregate,
  aggregate,
  type FigureRow,
  type Row,
  resultRow as row,
  times,
} from './report.js'
import { launchPortcullis, startCeiling } from './servers.js'
import { median } from './stats.js'
import { type BenchUser, createUsers, fetchMe, loginForm } from './users.js'

export const autocannonSettings = {
  USERS: 100,
  ROUNDS: 3,
  ROUND_SECONDS: 5,
  WARMUP_SECONDS: 2,
  LOGIN_SECONDS: 8,
  THROUGHPUT_CONNECTIONS: 10,
  LOGIN_CONNECTIONS: 8,
  MIXED_ME_CONNECTIONS: 4,
}
const S = autocannonSettings

/** The warning printed when the bench falls back to autocannon. */
export const AUTOCANNON_WARNING =
  'no wrk (not on the PATH, or --autocannon given; Debian: apt-get install wrk): falling back to autocannon, a Node load generator on the same cores as the servers. The ceiling then measures the client, not the server: ratios against it are INFLATED. Install wrk for figures you can trust.'

export const bearer = (users: BenchUser[]): RequestVariant[] =>
  users.map((u) => ({ headers: { authorization: `Bearer ${u.token}` } }))

const logins = (users: BenchUser[]): RequestVariant[] =>
  users.map((u) => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: loginForm(u),
  }))

const get = (url: string, variants: RequestVariant[], durationSeconds: number): LoadJob => ({
  url,
  method: 'GET',
  connections: S.THROUGHPUT_CONNECTIONS,
  durationSeconds,
  variants,
})

/**
 * /users/me (log info and silent) against the ceiling in alternating rounds, logins against
 * the argon2id ideal, /users/me during logins with the server's RSS before and after.
 */
export async function runAutocannonSuite(
  temp: string,
  loadA: LoadClient,
  loadB: LoadClient,
  idealLogins: number,
  log: (m: string) => void,
): Promise<{ rows: Row[]; figures: FigureRow[]; data: Record<string, unknown> }> {
  const [info, silent] = await Promise.all([
    launchPortcullis({ dataDir: join(temp, 'info') }),
    launchPortcullis({ dataDir: join(temp, 'silent'), logLevel: 'silent' }),
  ])
  const rssAfterStart = treeMemory(info.pid)
  log(`registering and logging in ${S.USERS} users on each server`)
  const infoUsers = await createUsers(info.url, S.USERS)
  const silentUsers = await createUsers(silent.url, S.USERS)
  const ceilingUrl = await startCeiling(await fetchMe(info.url, infoUsers[0]?.token ?? ''))
  const targets = [
    { name: 'ceiling', url: ceilingUrl, variants: bearer(infoUsers) },
    { name: 'meInfo', url: `${info.url}/users/me`, variants: bearer(infoUsers) },
    { name: 'meSilent', url: `${silent.url}/users/me`, variants: bearer(silentUsers) },
  ] as const
  log('warming up')
  for (const t of targets) await loadA.run(get(t.url, t.variants, S.WARMUP_SECONDS))
  const runs: Record<(typeof targets)[number]['name'], LoadSummary[]> = {
    ceiling: [],
    meInfo: [],
    meSilent: [],
  }
  // Alternating, the order rotated each round, so drift on a noisy VM hits every target alike.
  for (let round = 0; round < S.ROUNDS; round++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(round + i) % targets.length]
      if (!t) continue
      log(`round ${round + 1}/${S.ROUNDS}: ${t.name}`)
      runs[t.name].push(await loadA.run(get(t.url, t.variants, S.ROUND_SECONDS)))
    }
  }
  const loginJob: LoadJob = {
    url: `${info.url}/token`,
    method: 'POST',
    connections: S.LOGIN_CONNECTIONS,
    durationSeconds: S.LOGIN_SECONDS,
    variants: logins(infoUsers),
  }
  log(`POST /token, ${S.LOGIN_CONNECTIONS} connections`)
  const login = aggregate([await loadA.run(loginJob)])
  log(`GET /users/me (${S.MIXED_ME_CONNECTIONS} connections) during ${S.LOGIN_CONNECTIONS} logins`)
  const meJob = get(`${info.url}/users/me`, bearer(infoUsers), S.LOGIN_SECONDS)
  const [mixedLogin, mixedMe] = await Promise.all([
    loadA.run(loginJob),
    loadB.run({ ...meJob, connections: S.MIXED_ME_CONNECTIONS }),
  ])
  const rssPeak = treeMemory(info.pid).peakBytes

  const ceiling = aggregate(runs.ceiling)
  const meInfo = aggregate(runs.meInfo)
  const meSilent = aggregate(runs.meSilent)
  const mixed = aggregate([mixedMe])
  const mixedLogins = aggregate([mixedLogin])
  const vsCeiling = (a: Aggregate) => a.requestsPerSecond / ceiling.requestsPerSecond
  // Each round's own pair, then the median: drift between rounds cancels out of the ratio.
  const pairedVsCeiling = (a: Aggregate) =>
    median(a.runs.map((r, i) => r.requestsPerSecond / (runs.ceiling[i]?.requestsPerSecond ?? 0)))
  const vsIdeal = (a: Aggregate) => a.requestsPerSecond / idealLogins
  const m = `median of ${S.ROUNDS}`
  const inflated = 'ceiling, INFLATED (autocannon)'
  const rows: Row[] = [
    row(`ceiling: bare node:http (${m}, autocannon)`, ceiling, times(1, 'ceiling')),
    row(
      `GET /users/me, log info (${m})`,
      meInfo,
      times(pairedVsCeiling(meInfo), inflated),
      '≥ 0.50× ceiling',
      pairedVsCeiling(meInfo) >= 0.5,
    ),
    row(
      `GET /users/me, log silent (${m})`,
      meSilent,
      times(pairedVsCeiling(meSilent), inflated),
      'log info ≥ 0.50× silent',
      meInfo.requestsPerSecond >= 0.5 * meSilent.requestsPerSecond,
    ),
    row(
      `POST /token, ${S.LOGIN_CONNECTIONS} connections`,
      login,
      times(vsIdeal(login), 'ideal'),
      '≥ 0.80× ideal',
      vsIdeal(login) >= 0.8,
    ),
    row(
      `GET /users/me (${S.MIXED_ME_CONNECTIONS} conns) during ${S.LOGIN_CONNECTIONS} logins`,
      mixed,
      times(vsCeiling(mixed), inflated),
      'p99 < 25 ms',
      mixed.p99Ms < 25,
    ),
    row('POST /token during the run above', mixedLogins, times(vsIdeal(mixedLogins), 'ideal')),
  ]
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
  const figures: FigureRow[] = [
    { figure: 'RSS after start', value: mb(rssAfterStart.rssBytes), target: '', verdict: '' },
    {
      figure: 'RSS peak (VmHWM) through the loads above (logins + /users/me, no refresh)',
      value: mb(rssPeak),
      target: '< 150 MB',
      verdict: rssPeak < 150 * 1024 * 1024 ? 'PASS' : 'FAIL',
    },
  ]
  return {
    rows,
    figures,
    data: {
      settings: S,
      runs: { ...runs, login: login.runs, mixedLogin, mixedMe },
      rss: { afterStart: rssAfterStart, peakBytes: rssPeak },
    },
  }
}
