// `npm run bench`: starts a ceiling server, two Portcullis servers (log level info and silent)
// and two load-client processes on loopback, measures, prints the tables, writes
// bench/results/latest.json, and stops every child it started, even on failure.
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { medianHashMs, parallelHashesPerSecond } from './argon2-timing.js'
import { killAllNow, LoadClient, root, stopAll } from './children.js'
import { driveCodeFlow, drivePasswordGrant, type FlowSummary } from './code-flow.js'
import { measureEngines } from './engines.js'
import { forgotSettings, measureForgot } from './forgot.js'
import type { LoadJob, LoadSummary, RequestVariant } from './load-job.js'
import {
  type Aggregate,
  aggregate,
  markdownTable,
  type Row,
  textTable,
  writeJson,
} from './report.js'
import { startCeiling, startPortcullis } from './servers.js'
import { median } from './stats.js'
import { type BenchUser, createUsers, fetchMe, loginForm } from './users.js'
import { measureVerifier } from './verify.js'

const USERS = 100
const ROUNDS = 3
const ROUND_SECONDS = 5
const WARMUP_SECONDS = 2
const LOGIN_SECONDS = 8
const THROUGHPUT_CONNECTIONS = 10
const LOGIN_CONNECTIONS = 8
const MIXED_ME_CONNECTIONS = 4
const FLOW_SECONDS = 5

const log = (message: string) => console.error(`bench: ${message}`)

const bearer = (users: BenchUser[]): RequestVariant[] =>
  users.map((u) => ({ headers: { authorization: `Bearer ${u.token}` } }))

const logins = (users: BenchUser[]): RequestVariant[] =>
  users.map((u) => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: loginForm(u),
  }))

const get = (url: string, variants: RequestVariant[], durationSeconds: number): LoadJob => ({
  url,
  method: 'GET',
  connections: THROUGHPUT_CONNECTIONS,
  durationSeconds,
  variants,
})

/** A table row; a target's verdict is FAIL as well when any response was non-2xx or failed. */
function row(scenario: string, a: Aggregate, ratio: string, target = '', ok?: boolean): Row {
  const clean = a.non2xx + a.errors === 0
  return {
    scenario,
    requestsPerSecond: a.requestsPerSecond,
    p50Ms: a.p50Ms,
    p99Ms: a.p99Ms,
    ratio,
    non2xx: a.non2xx,
    errors: a.errors,
    target: clean ? target : `${target} (non-2xx or errors)`.trim(),
    verdict: ok === undefined && clean ? '' : ok && clean ? 'PASS' : 'FAIL',
  }
}

async function main(temp: string): Promise<void> {
  const cores = availableParallelism()
  log(`starting servers (${cores} cores)`)
  const [infoUrl, silentUrl] = await Promise.all([
    startPortcullis(join(temp, 'info')),
    startPortcullis(join(temp, 'silent'), 'silent'),
  ])
  log(`registering and logging in ${USERS} users on each server`)
  const infoUsers = await createUsers(infoUrl, USERS)
  const silentUsers = await createUsers(silentUrl, USERS)
  const me = await fetchMe(infoUrl, infoUsers[0]?.token ?? '')
  const ceilingUrl = await startCeiling(me)
  const loadA = LoadClient.start()
  const loadB = LoadClient.start()

  const targets = [
    { name: 'ceiling', url: ceilingUrl, variants: bearer(infoUsers) },
    { name: 'meInfo', url: `${infoUrl}/users/me`, variants: bearer(infoUsers) },
    { name: 'meSilent', url: `${silentUrl}/users/me`, variants: bearer(silentUsers) },
  ] as const
  log('warming up')
  for (const t of targets) await loadA.run(get(t.url, t.variants, WARMUP_SECONDS))
  const runs: Record<(typeof targets)[number]['name'], LoadSummary[]> = {
    ceiling: [],
    meInfo: [],
    meSilent: [],
  }
  // Alternating, the order rotated each round, so drift on a noisy VM hits every target alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(round + i) % targets.length]
      if (!t) continue
      log(`round ${round + 1}/${ROUNDS}: ${t.name}`)
      runs[t.name].push(await loadA.run(get(t.url, t.variants, ROUND_SECONDS)))
    }
  }

  log('timing argon2id in the bench process')
  const hashMs = await medianHashMs()
  const idealLogins = (cores * 1000) / hashMs
  const rawParallel = await parallelHashesPerSecond(cores)
  const loginJob: LoadJob = {
    url: `${infoUrl}/token`,
    method: 'POST',
    connections: LOGIN_CONNECTIONS,
    durationSeconds: LOGIN_SECONDS,
    variants: logins(infoUsers),
  }
  log(`POST /token, ${LOGIN_CONNECTIONS} connections`)
  const login = aggregate([await loadA.run(loginJob)])
  log(`GET /users/me (${MIXED_ME_CONNECTIONS} connections) during ${LOGIN_CONNECTIONS} logins`)
  const meJob = get(`${infoUrl}/users/me`, bearer(infoUsers), LOGIN_SECONDS)
  const [mixedLogin, mixedMe] = await Promise.all([
    loadA.run(loginJob),
    loadB.run({ ...meJob, connections: MIXED_ME_CONNECTIONS }),
  ])

  // wrk and autocannon replay single requests; the code flow is five requests with cookies, a
  // form and a code, so a Node driver runs it, and the password grant again beside it (same
  // driver, same connections, rounds alternated) so the two rates compare.
  const flows: { password: FlowSummary[]; code: FlowSummary[] } = { password: [], code: [] }
  for (let round = 0; round < ROUNDS; round++) {
    log(`round ${round + 1}/${ROUNDS}: password grant and code flow (Node driver)`)
    const order =
      round % 2 === 0 ? (['password', 'code'] as const) : (['code', 'password'] as const)
    for (const kind of order) {
      const drive = kind === 'code' ? driveCodeFlow : drivePasswordGrant
      flows[kind].push(await drive(infoUrl, LOGIN_CONNECTIONS, FLOW_SECONDS, infoUsers))
    }
  }
  const passwordFlows = aggregate(flows.password)
  const codeFlows = aggregate(flows.code)

  log('POST /password/forgot, a known and an unknown address side by side')
  const forgot = await measureForgot(temp, loadA, loadB)

  log('the same endpoints on SQLite and on PostgreSQL')
  const engineRows = await measureEngines(temp, loadA)
  log('the verifier library, cold and warm')
  const verifierRates = await measureVerifier()

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
  const times = (x: number, of: string) => `${x.toFixed(2)}× ${of}`
  const m = `median of ${ROUNDS}`
  const { ROUNDS: forgotRounds, REQUESTS: forgotRequests } = forgotSettings
  const forgotRuns = `median of ${forgotRounds} × ${forgotRequests} requests`
  const forgotRatio = forgot.known.p50Ms / forgot.unknown.p50Ms
  const rows: Row[] = [
    row(`ceiling: bare node:http (${m})`, ceiling, times(1, 'ceiling')),
    row(
      `GET /users/me, log info (${m})`,
      meInfo,
      times(pairedVsCeiling(meInfo), 'ceiling'),
      '≥ 0.50× ceiling',
      pairedVsCeiling(meInfo) >= 0.5,
    ),
    row(
      `GET /users/me, log silent (${m})`,
      meSilent,
      times(pairedVsCeiling(meSilent), 'ceiling'),
      'log info ≥ 0.50× silent',
      meInfo.requestsPerSecond >= 0.5 * meSilent.requestsPerSecond,
    ),
    row(
      `POST /token, ${LOGIN_CONNECTIONS} connections`,
      login,
      times(vsIdeal(login), 'ideal'),
      '≥ 0.80× ideal',
      vsIdeal(login) >= 0.8,
    ),
    row(
      `GET /users/me (${MIXED_ME_CONNECTIONS} conns) during ${LOGIN_CONNECTIONS} logins`,
      mixed,
      times(vsCeiling(mixed), 'ceiling'),
      'p99 < 25 ms',
      mixed.p99Ms < 25,
    ),
    row('POST /token during the run above', mixedLogins, times(vsIdeal(mixedLogins), 'ideal')),
    row(
      `password grant, Node driver, ${LOGIN_CONNECTIONS} concurrent (${m})`,
      passwordFlows,
      times(1, 'password'),
    ),
    row(
      `code flow: authorize → login → code → token, Node driver, ${LOGIN_CONNECTIONS} concurrent (${m})`,
      codeFlows,
      times(codeFlows.requestsPerSecond / passwordFlows.requestsPerSecond, 'password'),
    ),
    row(
      `POST /password/forgot, unknown address (${forgotRuns})`,
      forgot.unknown,
      times(1, 'unknown'),
    ),
    row(
      `POST /password/forgot, known address (${forgotRuns})`,
      forgot.known,
      times(forgotRatio, 'unknown'),
      'p50 within 1.3× unknown',
      forgotRatio < 1.3 && forgotRatio > 1 / 1.3,
    ),
  ]

  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  console.log(
    [
      '',
      `${cores} cores (${cpu}), Node ${process.version}`,
      `argon2id m=19456 t=2 p=1, in the bench process: median ${hashMs.toFixed(1)} ms per hash; ideal logins/s = ${cores} ÷ hash time = ${idealLogins.toFixed(1)}; ${cores} hashes in parallel reached ${rawParallel.toFixed(1)}/s (${(rawParallel / idealLogins).toFixed(2)}× ideal)`,
      '',
      textTable(rows),
      '',
      'Markdown:',
      '',
      markdownTable(rows),
      '',
      `The /users/me ratios are medians of per-round ratios (each round's run over that round's ceiling run); latencies are of 2xx responses.`,
      `The code-flow and its password-grant row are measured by a Node driver in the bench process (wrk and autocannon cannot follow the flow's redirects, cookies and form): "req/s" there is completed flows (or logins) per second, non-2xx is failed flows; each flow is a new browser, so each checks one password.`,
      '',
      `Verifier library (portcullis/verify, ES256, one thread): first-seen tokens ${verifierRates.coldPerSecond.toFixed(0)}/s, seen before (cache) ${verifierRates.warmPerSecond.toFixed(0)}/s`,
      '',
      'Engines (one 5 s run each, log level info):',
      '',
      textTable(engineRows),
      '',
      'Markdown:',
      '',
      markdownTable(engineRows),
      '',
    ].join('\n'),
  )
  const results = join(root, 'bench/results/latest.json')
  writeJson(results, {
    date: new Date().toISOString(),
    machine: { cores, cpu, node: process.version },
    argon2: { memoryKib: 19456, iterations: 2, parallelism: 1, hashMs, idealLogins, rawParallel },
    settings: {
      USERS,
      ROUNDS,
      ROUND_SECONDS,
      LOGIN_SECONDS,
      THROUGHPUT_CONNECTIONS,
      FLOW_SECONDS,
      forgot: forgotSettings,
    },
    rows,
    engineRows,
    verifierRates,
    runs: {
      ...runs,
      login: login.runs,
      mixedLogin,
      mixedMe,
      passwordFlows: flows.password,
      codeFlows: flows.code,
      forgotKnown: forgot.known.runs,
      forgotUnknown: forgot.unknown.runs,
    },
  })
  log(`wrote ${results}`)
  if (rows.some((r) => r.verdict === 'FAIL')) log('some targets were missed (FAIL above)')
}

const temp = mkdtempSync(join(tmpdir(), 'portcullis-bench-'))
let interrupted = false
process.on('exit', () => {
  killAllNow()
  rmSync(temp, { recursive: true, force: true })
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true
    log(`${signal}: stopping children`)
    const exit = () => process.exit(130)
    stopAll().then(exit, exit)
  })
}
try {
  await main(temp)
} catch (error) {
  if (!interrupted) console.error('bench: failed:', error)
  process.exitCode = 1
} finally {
  await stopAll()
}
