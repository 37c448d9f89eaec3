// Interleaved wrk rounds: every target once per round, the order rotated each round, so drift
// on a shared machine hits every target alike. Targets compared with each other run as one group,
// back to back, so each round's pair (target, ceiling) ran seconds apart, not a minute: on a
// host whose speed moves from one 5-second run to the next, a ratio of two runs far apart
// measures the host. Each run records the client's and the server's CPU use.
import type { LoadSummary } from './load-job.js'
import { treeCpuSeconds } from './proc.js'
import { type Saturation, saturation } from './saturation.js'
import { median } from './stats.js'
import { runWrk, type WrkRun } from './wrk.js'
import type { WrkLoad } from './wrk-script.js'

/** One thing to measure: a server and the load to put on it. */
export interface WrkTarget {
  name: string
  url: string
  /** The server's (primary) process: its tree's CPU time is the server's. */
  pid: number
  /** Cores the server can use: its processes, capped by its pinning. */
  serverCores: number
  connections: number
  /** The load of the next run (a refresh pool changes from run to run). */
  load: () => WrkLoad
  /** Sees each run's result (to carry the refresh pool over). */
  after?: (run: WrkRun) => void
}

/** The client's settings, the same for every target. */
export interface ClientSettings {
  threads: number
  /** `taskset -c` list for wrk, or undefined. */
  pin?: string
  /** Cores wrk can use (its threads, capped by its pinning). */
  clientCores: number
}

/** A wrk run with the server's CPU use over it and the saturation verdict. */
export interface MeasuredRun extends WrkRun {
  serverCpuSeconds: number
  saturation: Saturation
}

/** Runs `target` once for `seconds`, measuring both sides' CPU. */
export async function measureOnce(
  target: WrkTarget,
  seconds: number,
  client: ClientSettings,
): Promise<MeasuredRun> {
  const serverBefore = treeCpuSeconds(target.pid)
  const run = await runWrk({
    url: target.url,
    load: target.load(),
    connections: target.connections,
    threads: client.threads,
    durationSeconds: seconds,
    pin: client.pin,
  })
  const serverCpuSeconds = treeCpuSeconds(target.pid) - serverBefore
  target.after?.(run)
  return {
    ...run,
    serverCpuSeconds,
    saturation: saturation({
      clientCpuSeconds: run.clientCpuSeconds,
      serverCpuSeconds,
      wallSeconds: run.wallSeconds,
      clientCores: client.clientCores,
      serverCores: target.serverCores,
    }),
  }
}

/** Round settings: a short warm-up of each target, then `rounds` runs of `seconds` each. */
export interface Rounds {
  rounds: number
  seconds: number
  warmupSeconds: number
}

/**
 * The order of one round: the groups rotated by `round`, and the targets inside each group
 * rotated by `round` too, so no group always runs first or last, the order inside a group
 * changes from round to round, and the targets of a group always run back to back.
 */
export function roundOrder<T>(groups: readonly (readonly T[])[], round: number): T[] {
  const rotate = <U>(list: readonly U[]): U[] => {
    const k = list.length === 0 ? 0 : round % list.length
    return [...list.slice(k), ...list.slice(0, k)]
  }
  return rotate(groups).flatMap((group) => rotate(group))
}

/**
 * Warms every target up, then runs the interleaved rounds (see {@link roundOrder}); runs by
 * target name, in order. A group's targets run back to back in every round.
 */
export async function interleave(
  groups: readonly (readonly WrkTarget[])[],
  rounds: Rounds,
  client: ClientSettings,
  log: (message: string) => void,
): Promise<Record<string, MeasuredRun[]>> {
  const targets = groups.flat()
  // Runs are kept by name and paired by round: two targets of one name would mix their runs.
  if (new Set(targets.map((t) => t.name)).size !== targets.length) {
    throw new Error('every target needs a name of its own')
  }
  log(`warming up ${targets.length} targets (${rounds.warmupSeconds} s each)`)
  for (const t of targets) await measureOnce(t, rounds.warmupSeconds, client)
  const runs: Record<string, MeasuredRun[]> = Object.fromEntries(targets.map((t) => [t.name, []]))
  for (let round = 0; round < rounds.rounds; round++) {
    for (const t of roundOrder(groups, round)) {
      log(`round ${round + 1}/${rounds.rounds}: ${t.name}`)
      runs[t.name]?.push(await measureOnce(t, rounds.seconds, client))
    }
  }
  return runs
}

/** Each round's ratio `of[i] / to[i]`, then their median: drift between rounds cancels out. */
export function pairedRatio(of: readonly MeasuredRun[], to: readonly MeasuredRun[]): number {
  return median(of.map((r, i) => r.requestsPerSecond / (to[i]?.requestsPerSecond ?? Number.NaN)))
}

/** A wrk run in the shape the tables aggregate. */
export function asLoadSummary(run: WrkRun): LoadSummary {
  return {
    requestsPerSecond: run.requestsPerSecond,
    p50Ms: run.p50Ms,
    p99Ms: run.p99Ms,
    total: run.requests,
    ok2xx: run.requests - run.non2xx,
    non2xx: run.non2xx,
    errors: run.errors,
    timeouts: run.timeouts,
    durationSeconds: run.durationSeconds,
    statusCodes: {},
  }
}

/**
 * The CPU note of a row: the median busy shares of client and server, and how many of the
 * runs were client-bound (the client, not the server, was the limit).
 */
export function cpuNote(runs: readonly MeasuredRun[]): string {
  const pct = (x: number) => `${Math.round(x * 100)}%`
  const bound = runs.filter((r) => r.saturation.clientBound).length
  const base = `wrk ${pct(median(runs.map((r) => r.saturation.clientBusy)))} / server ${pct(median(runs.map((r) => r.saturation.serverBusy)))}`
  return bound > 0 ? `${base}, CLIENT-BOUND ${bound}/${runs.length}` : base
}
