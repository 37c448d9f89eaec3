// The wrk measurements of `npm run bench`: /users/me on SQLite and PostgreSQL, the refresh
// grant and /introspect against the bare node:http ceiling, 1 against 2 workers, resident
// memory under a mixed load, all interleaved in rounds with the same client settings.
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { startTestPostgres } from '../test/support/postgres.js'
import { stopChild } from './children.js'
import { benchAdmin, createBenchClient } from './clients.js'
import { measureMixedMemory } from './memory.js'
import type { Pinning } from './pinning.js'
import { treeMemory } from './proc.js'
import { aggregate, type FigureRow, type Row, resultRow, times } from './report.js'
import { launchCeiling, launchPortcullis, type RunningServer } from './servers.js'
import { createUsers, fetchMe, issueRefreshTokens } from './users.js'
import { bearerLoad, introspectLoad, loginLoad, refreshLoad } from './wrk-loads.js'
import {
  asLoadSummary,
  type ClientSettings,
  cpuNote,
  interleave,
  type MeasuredRun,
  pairedRatio,
  type WrkTarget,
} from './wrk-rounds.js'

export const wrkSettings = {
  USERS: 100,
  // Five, not three: on a shared host one 5-second round can read a third below its neighbours
  // (per-round ratios of one run spread from 0.33 to 0.55), and a median of three then moves with it.
  ROUNDS: 5,
  ROUND_SECONDS: 5,
  WARMUP_SECONDS: 1,
  THREADS: 1,
  ME_CONNECTIONS: 10,
  POST_CONNECTIONS: 8,
  MIXED_SECONDS: 10,
  MIXED_CONNECTIONS: 4,
}
const S = wrkSettings
const MB = 1024 * 1024

/** What the wrk suite measured: table rows, figure rows, and every run for the JSON. */
export interface WrkSuiteResult {
  rows: Row[]
  figures: FigureRow[]
  data: Record<string, unknown>
}

/** A target over `server` that keeps its refresh pool from run to run. */
function refreshTarget(
  name: string,
  server: RunningServer,
  tokens: string[],
  serverCores: number,
): WrkTarget {
  let pool = tokens
  return {
    name,
    url: server.url,
    pid: server.pid,
    serverCores,
    connections: S.POST_CONNECTIONS,
    load: () => refreshLoad(pool),
    after: (run) => {
      pool = run.pool
      if (pool.length < 2 * S.POST_CONNECTIONS) {
        console.error(`bench: ${name}: only ${pool.length} refresh tokens left in the pool`)
      }
    },
  }
}

export async function runWrkSuite(
  temp: string,
  pinning: Pinning,
  log: (m: string) => void,
): Promise<WrkSuiteResult> {
  const cores = availableParallelism()
  const client: ClientSettings = {
    threads: S.THREADS,
    pin: pinning.client,
    clientCores: Math.min(S.THREADS, pinning.clientCores),
  }
  const pinnedCores = Math.min(1, pinning.serverCores)
  const pg = await startTestPostgres({ durable: true })
  try {
    log('starting SQLite and PostgreSQL servers (pinned), 1- and 2-worker servers (unpinned)')
    const [sqlite, postgres, one, two, mem] = await Promise.all([
      launchPortcullis({ dataDir: join(temp, 'w-sqlite'), env: benchAdmin, pin: pinning.server }),
      launchPortcullis({ dataDir: join(temp, 'w-pg'), databaseUrl: pg.url, pin: pinning.server }),
      launchPortcullis({ dataDir: join(temp, 'w-1'), env: { PORTCULLIS_WORKERS: '1' } }),
      launchPortcullis({ dataDir: join(temp, 'w-2'), env: { PORTCULLIS_WORKERS: '2' } }),
      launchPortcullis({ dataDir: join(temp, 'w-mem'), env: { PORTCULLIS_WORKERS: '1' } }),
    ])
    const memAfterStart = treeMemory(mem.pid)
    const twoAfterStart = treeMemory(two.pid)
    const oneAfterStart = treeMemory(one.pid)
    log(`registering and logging in ${S.USERS} users on each server`)
    const [sqliteUsers, pgUsers, oneUsers, twoUsers, memUsers] = await Promise.all([
      createUsers(sqlite.url, S.USERS),
      createUsers(postgres.url, S.USERS),
      createUsers(one.url, S.USERS),
      createUsers(two.url, S.USERS),
      createUsers(mem.url, S.USERS),
    ])
    const [refreshPool, memRefreshPool] = await Promise.all([
      issueRefreshTokens(sqlite.url, sqliteUsers),
      issueRefreshTokens(mem.url, memUsers),
    ])
    const introspector = await createBenchClient(sqlite.url)
    const ceiling = await launchCeiling(
      await fetchMe(sqlite.url, sqliteUsers[0]?.token ?? ''),
      pinning.server,
    )

    const target = (
      name: string,
      server: RunningServer,
      load: WrkTarget['load'],
      serverCores: number,
      connections = S.ME_CONNECTIONS,
    ): WrkTarget => ({ name, url: server.url, pid: server.pid, serverCores, connections, load })
    const twoCores = Math.min(2, cores)
    // Targets compared with each other run as one group, back to back in every round: the
    // ceiling with /users/me on SQLite and PostgreSQL (the goals), 1 worker with 2 workers.
    const groups: WrkTarget[][] = [
      [
        target('ceiling', ceiling, () => bearerLoad(sqliteUsers), pinnedCores),
        target('meSqlite', sqlite, () => bearerLoad(sqliteUsers), pinnedCores),
        target('mePostgres', postgres, () => bearerLoad(pgUsers), pinnedCores),
      ],
      [refreshTarget('refresh', sqlite, refreshPool, pinnedCores)],
      [target('introspect', sqlite, () => introspectLoad(sqliteUsers, introspector), pinnedCores)],
      [
        target('meOneWorker', one, () => bearerLoad(oneUsers), 1),
        target('meTwoWorkers', two, () => bearerLoad(twoUsers), twoCores),
      ],
      [
        target('loginOneWorker', one, () => loginLoad(oneUsers), 1, S.POST_CONNECTIONS),
        target('loginTwoWorkers', two, () => loginLoad(twoUsers), twoCores, S.POST_CONNECTIONS),
      ],
    ]
    const runs = await interleave(
      groups,
      { rounds: S.ROUNDS, seconds: S.ROUND_SECONDS, warmupSeconds: S.WARMUP_SECONDS },
      client,
      log,
    )

    log(`mixed load for ${S.MIXED_SECONDS} s (logins, /users/me, refresh), sampling RSS`)
    const mixed = await measureMixedMemory({
      url: mem.url,
      pid: mem.pid,
      afterStart: memAfterStart,
      seconds: S.MIXED_SECONDS,
      pin: pinning.client,
      parts: [
        { name: 'login', load: loginLoad(memUsers), connections: S.MIXED_CONNECTIONS },
        { name: 'me', load: bearerLoad(memUsers), connections: S.MIXED_CONNECTIONS },
        { name: 'refresh', load: refreshLoad(memRefreshPool), connections: S.MIXED_CONNECTIONS },
      ],
    })

    // Done with these servers: the scenarios after this one get the CPU to themselves.
    await Promise.all([sqlite, postgres, one, two, mem, ceiling].map((x) => stopChild(x.child)))

    const r = (name: string): MeasuredRun[] => runs[name] ?? []
    const agg = (name: string) => aggregate(r(name).map(asLoadSummary))
    const vsCeiling = (name: string) => pairedRatio(r(name), r('ceiling'))
    const m = `median of ${S.ROUNDS} × ${S.ROUND_SECONDS} s`
    const meRatio = vsCeiling('meSqlite')
    const pgRatio = pairedRatio(r('mePostgres'), r('meSqlite'))
    const ceilingBound = r('ceiling').some((x) => x.saturation.clientBound)
    const bound = ceilingBound ? ' (ceiling CLIENT-BOUND: ratio is an upper bound)' : ''
    const row = (scenario: string, name: string, ratio: string, goal = '', ok?: boolean) =>
      resultRow(scenario, agg(name), ratio, goal, ok, cpuNote(r(name)))
    const shared = `unpinned; the load generator takes one of the ${cores} cores`
    const rows: Row[] = [
      row(`ceiling: bare node:http, pinned (${m})`, 'ceiling', times(1, 'ceiling')),
      row(
        `GET /users/me, SQLite, log info (${m})`,
        'meSqlite',
        times(meRatio, `ceiling${bound}`),
        '≥ 0.50× ceiling',
        meRatio >= 0.5,
      ),
      row(
        `GET /users/me, PostgreSQL (${m})`,
        'mePostgres',
        `${times(vsCeiling('mePostgres'), 'ceiling')}; ${times(pgRatio, 'SQLite')}`,
        '≥ 0.80× SQLite',
        pgRatio >= 0.8,
      ),
      row(
        `POST /token refresh_token grant, SQLite, ${S.POST_CONNECTIONS} conns (${m})`,
        'refresh',
        times(vsCeiling('refresh'), `ceiling${bound}`),
      ),
      row(
        `POST /introspect, SQLite (${m})`,
        'introspect',
        times(vsCeiling('introspect'), `ceiling${bound}`),
      ),
      row(`GET /users/me, 1 worker, ${shared} (${m})`, 'meOneWorker', times(1, '1 worker')),
      row(
        `GET /users/me, 2 workers, ${shared} (${m})`,
        'meTwoWorkers',
        times(pairedRatio(r('meTwoWorkers'), r('meOneWorker')), '1 worker'),
      ),
      row(
        `POST /token (login), 1 worker, ${S.POST_CONNECTIONS} conns, unpinned (${m})`,
        'loginOneWorker',
        times(1, '1 worker'),
      ),
      row(
        `POST /token (login), 2 workers, ${S.POST_CONNECTIONS} conns, unpinned (${m})`,
        'loginTwoWorkers',
        times(pairedRatio(r('loginTwoWorkers'), r('loginOneWorker')), '1 worker'),
      ),
      ...Object.entries(mixed.runs).map(([name, run]) =>
        resultRow(
          `mixed load (memory run): ${name}, ${S.MIXED_CONNECTIONS} conns, ${S.MIXED_SECONDS} s`,
          aggregate([asLoadSummary(run)]),
          '',
        ),
      ),
    ]
    const f = mixed.figures
    const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`
    const figures: FigureRow[] = [
      {
        figure: 'RSS after start, 1 worker',
        value: mb(f.afterStartBytes),
        target: '',
        verdict: '',
      },
      {
        figure: `RSS peak (VmHWM) through user creation and the ${S.MIXED_SECONDS} s mixed load, 1 worker`,
        value: mb(f.peakBytes),
        target: '< 150 MB',
        verdict: f.peakBytes < 150 * MB ? 'PASS' : 'FAIL',
      },
      {
        figure: 'RSS highest sample during the mixed load (every 100 ms)',
        value: mb(f.sampledPeakBytes),
        target: '',
        verdict: '',
      },
      { figure: 'RSS 3 s after the mixed load', value: mb(f.afterBytes), target: '', verdict: '' },
      {
        figure: 'RSS after start, PORTCULLIS_WORKERS=2 (primary + workers)',
        value: mb(twoAfterStart.rssBytes),
        target: '',
        verdict: '',
      },
    ]
    return {
      rows,
      figures,
      data: {
        pinning,
        settings: S,
        runs,
        mixed,
        rssAfterStart: {
          memServer: memAfterStart,
          oneWorker: oneAfterStart,
          twoWorkers: twoAfterStart,
        },
        ratios: {
          meVsCeiling: meRatio,
          postgresVsSqlite: pgRatio,
          ceilingClientBound: ceilingBound,
        },
      },
    }
  } finally {
    await pg.destroy()
  }
}
