// `npm run bench`: builds dist/ if stale, then measures on loopback with wrk when it is on the
// PATH (pinned to its own core with taskset where possible; see wrk-suite.ts), else with
// autocannon and a warning that ratios are inflated (autocannon-suite.ts); then time to ready,
// the browser code flow, password recovery and the verifier library. Prints the tables, writes
// bench/results/latest.json, and stops every child it started, even on failure.
// `npm run bench -- --engines` adds the autocannon per-engine endpoint table (always run
// without wrk); `-- --autocannon` uses the fallback even where wrk is installed.
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { medianHashMs, parallelHashesPerSecond } from './argon2-timing.js'
import { AUTOCANNON_WARNING, runAutocannonSuite } from './autocannon-suite.js'
import { killAllNow, LoadClient, root, stopAll } from './children.js'
import { driveCodeFlow, drivePasswordGrant, type FlowSummary } from './code-flow.js'
import { measureEngines } from './engines.js'
import { forgotSettings, measureForgot } from './forgot.js'
import { choosePinning, onPath } from './pinning.js'
import { measureReadyTimes } from './ready-time.js'
import {
  aggregate,
  type FigureRow,
  figureMarkdown,
  figureTable,
  markdownTable,
  type Row,
  resultRow as row,
  textTable,
  times,
  writeJson,
} from './report.js'
import { buildIfStale, launchPortcullis } from './servers.js'
import { createUsers } from './users.js'
import { measureVerifier } from './verify.js'
import { runWrkSuite } from './wrk-suite.js'

const ROUNDS = 3
const FLOW_USERS = 20
const FLOW_CONNECTIONS = 8
const FLOW_SECONDS = 5
const READY_RESTARTS = 5

const log = (message: string) => console.error(`bench: ${message}`)

async function main(temp: string): Promise<void> {
  const cores = availableParallelism()
  log('building dist/ if a source changed (the step npm start runs)')
  buildIfStale()
  // `--autocannon` forces the fallback, to compare the two clients on one machine.
  const wrk = process.argv.includes('--autocannon') ? undefined : onPath('wrk')
  const pinning = choosePinning()
  const withEngines = !wrk || process.argv.includes('--engines')
  if (wrk) log(`load generator: wrk (${wrk}); ${pinning.description}`)
  else console.error(`\nbench: WARNING: ${AUTOCANNON_WARNING}\n`)

  log('timing argon2id in the bench process')
  const hashMs = await medianHashMs()
  const idealLogins = (cores * 1000) / hashMs
  const rawParallel = await parallelHashesPerSecond(cores)

  const loadA = LoadClient.start()
  const loadB = LoadClient.start()
  const main = wrk
    ? await runWrkSuite(temp, pinning, log)
    : await runAutocannonSuite(temp, loadA, loadB, idealLogins, log)

  log(`time to ready: 1 start on an empty data directory, then ${READY_RESTARTS} restarts`)
  const ready = await measureReadyTimes(temp, READY_RESTARTS)
  const figures: FigureRow[] = [
    ...main.figures,
    {
      figure: 'time to ready, first start (empty data directory)',
      value: `${ready.firstMs.toFixed(0)} ms`,
      target: '',
      verdict: '',
    },
    {
      figure: `time to ready, restart (median of ${READY_RESTARTS}: ${ready.restartsMs.map((x) => x.toFixed(0)).join(', ')} ms)`,
      value: `${ready.medianMs.toFixed(0)} ms`,
      target: '< 1000 ms',
      verdict: ready.medianMs < 1000 ? 'PASS' : 'FAIL',
    },
    {
      figure: 'CPU time used by a restart when ready (median; steady on a busy machine)',
      value: `${ready.medianCpuMs.toFixed(0)} ms`,
      target: '',
      verdict: '',
    },
  ]

  // wrk and autocannon replay single requests; the code flow is five requests with cookies, a
  // form and a code, so a Node driver runs it, and the password grant again beside it (same
  // driver, same connections, rounds alternated) so the two rates compare.
  const flowServer = await launchPortcullis({ dataDir: join(temp, 'flow') })
  const flowUsers = await createUsers(flowServer.url, FLOW_USERS)
  const flows: { password: FlowSummary[]; code: FlowSummary[] } = { password: [], code: [] }
  for (let round = 0; round < ROUNDS; round++) {
    log(`round ${round + 1}/${ROUNDS}: password grant and code flow (Node driver)`)
    const order =
      round % 2 === 0 ? (['password', 'code'] as const) : (['code', 'password'] as const)
    for (const kind of order) {
      const drive = kind === 'code' ? driveCodeFlow : drivePasswordGrant
      flows[kind].push(await drive(flowServer.url, FLOW_CONNECTIONS, FLOW_SECONDS, flowUsers))
    }
  }
  const passwordFlows = aggregate(flows.password)
  const codeFlows = aggregate(flows.code)

  log('POST /password/forgot, a known and an unknown address side by side')
  const forgot = await measureForgot(temp, loadA, loadB)
  let engineRows: Row[] = []
  if (withEngines) {
    log('the same endpoints on SQLite and on PostgreSQL (autocannon)')
    engineRows = await measureEngines(temp, loadA)
  }
  log('the verifier library, cold and warm')
  const verifierRates = await measureVerifier()

  const m = `median of ${ROUNDS}`
  const { ROUNDS: forgotRounds, REQUESTS: forgotRequests } = forgotSettings
  const forgotRuns = `median of ${forgotRounds} × ${forgotRequests} requests`
  const forgotRatio = forgot.known.p50Ms / forgot.unknown.p50Ms
  const rows: Row[] = [
    ...main.rows,
    row(
      `password grant, Node driver, ${FLOW_CONNECTIONS} concurrent (${m})`,
      passwordFlows,
      times(1, 'password'),
    ),
    row(
      `code flow: authorize → login → code → token, Node driver, ${FLOW_CONNECTIONS} concurrent (${m})`,
      codeFlows,
      times(codeFlows.requestsPerSecond / passwordFlows.requestsPerSecond, 'password'),
    ),
    row(
      `POST /password/forgot, unknown address (${forgotRuns}, autocannon)`,
      forgot.unknown,
      times(1, 'unknown'),
    ),
    row(
      `POST /password/forgot, known address (${forgotRuns}, autocannon)`,
      forgot.known,
      times(forgotRatio, 'unknown'),
      'p50 within 1.3× unknown',
      forgotRatio < 1.3 && forgotRatio > 1 / 1.3,
    ),
  ]

  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  const generator = wrk
    ? `load generator: wrk, 1 thread, ${pinning.description}; rounds interleaved (every target once per round, order rotated; the ceiling and /users/me on SQLite and on PostgreSQL back to back, 1 and 2 workers back to back), ratios are medians of per-round ratios`
    : `load generator: autocannon (FALLBACK: ${AUTOCANNON_WARNING})`
  const notes = wrk
    ? [
        "CPU column: median busy share of wrk's core and of the server's cores over each run (from /proc); CLIENT-BOUND marks runs where wrk used ≥ 90 % of its core while the server stayed below 90 % of its own: such a rate is the client's, and a ratio over a client-bound ceiling is an upper bound.",
        `1 vs 2 workers: both servers unpinned, sharing the ${cores} cores with wrk, which itself takes one: on a 2-core machine a second worker can only gain what wrk leaves over.`,
        "non-2xx: wrk's count of statuses above 399 (none of these routes redirects); the refresh grant counts every non-2xx answer exactly. Latencies are of all answers.",
        "Refresh grant: each request spends an unspent refresh token from a pool of 100 (one extra login per user) and its answer's successor goes back to the pool, carried from run to run; no token is ever presented twice.",
      ]
    : ['The /users/me ratios are medians of per-round ratios; latencies are of 2xx responses.']
  console.log(
    [
      '',
      `${cores} cores (${cpu}), Node ${process.version}`,
      generator,
      `argon2id m=19456 t=2 p=1, in the bench process: median ${hashMs.toFixed(1)} ms per hash; ideal logins/s = ${cores} ÷ hash time = ${idealLogins.toFixed(1)}; ${cores} hashes in parallel reached ${rawParallel.toFixed(1)}/s (${(rawParallel / idealLogins).toFixed(2)}× ideal)`,
      '',
      textTable(rows),
      '',
      figureTable(figures),
      '',
      ...notes,
      'The code-flow and its password-grant row are measured by a Node driver in the bench process (wrk and autocannon cannot follow the flow\'s redirects, cookies and form): "req/s" there is completed flows (or logins) per second, non-2xx is failed flows; each flow is a new browser, so each checks one password.',
      '',
      `Verifier library (portcullis/verify, ES256, one thread): first-seen tokens ${verifierRates.coldPerSecond.toFixed(0)}/s, seen before (cache) ${verifierRates.warmPerSecond.toFixed(0)}/s`,
      ...(withEngines
        ? ['', 'Engines (autocannon, one 5 s run each, log level info):', '', textTable(engineRows)]
        : []),
      '',
      'Markdown:',
      '',
      markdownTable(rows),
      '',
      figureMarkdown(figures),
      ...(withEngines ? ['', markdownTable(engineRows)] : []),
      '',
    ].join('\n'),
  )
  const results = join(root, 'bench/results/latest.json')
  writeJson(results, {
    date: new Date().toISOString(),
    machine: { cores, cpu, node: process.version },
    loadGenerator: wrk ? 'wrk' : 'autocannon (fallback: ratios inflated)',
    pinning: wrk ? pinning : undefined,
    argon2: { memoryKib: 19456, iterations: 2, parallelism: 1, hashMs, idealLogins, rawParallel },
    settings: { ROUNDS, FLOW_USERS, FLOW_CONNECTIONS, FLOW_SECONDS, forgot: forgotSettings },
    rows,
    figures,
    readyTimes: ready,
    engineRows,
    verifierRates,
    main: main.data,
    runs: {
      passwordFlows: flows.password,
      codeFlows: flows.code,
      forgotKnown: forgot.known.runs,
      forgotUnknown: forgot.unknown.runs,
    },
  })
  log(`wrote ${results}`)
  if ([...rows, ...figures].some((r) => r.verdict === 'FAIL')) {
    log('some targets were missed (FAIL above)')
  }
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
