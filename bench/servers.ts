import type { ChildProcess } from 'node:child_process'
import { spawnSync } from 'node:child_process'
import { startArguments } from '../scripts/start-command.mjs'
import { freePort, portcullisEnv, root, spawnNode, waitForHttp } from './children.js'

/** What `npm start` runs once built: node's flags and the bundled entry (package.json). */
export const SERVER_COMMAND: readonly string[] = startArguments(root)

/** Compiles dist/ when a source is newer than it (the step `npm start` runs), once per bench. */
export function buildIfStale(): void {
  const build = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], {
    cwd: root,
    stdio: 'inherit',
  })
  if (build.status !== 0) throw new Error('building dist/ failed')
}

/** How to start one Portcullis process. */
export interface PortcullisOptions {
  dataDir: string
  logLevel?: 'silent'
  databaseUrl?: string
  env?: Record<string, string>
  /** A `taskset -c` cpu list, or undefined to run unpinned. */
  pin?: string
}

/** A running Portcullis: its base URL and its (primary) process. */
export interface RunningServer {
  url: string
  pid: number
  child: ChildProcess
}

/**
 * Starts Portcullis as `npm start` does (SERVER_COMMAND, so PORTCULLIS_WORKERS
 * and the rest of the process setup apply) on a free loopback port with its own data
 * directory and default settings plus `options`; resolves once /healthz answers.
 */
export async function launchPortcullis(options: PortcullisOptions): Promise<RunningServer> {
  const port = await freePort()
  const env: Record<string, string> = {
    PORTCULLIS_DATA_DIR: options.dataDir,
    PORTCULLIS_PORT: String(port),
    ...(options.databaseUrl ? { PORTCULLIS_DATABASE_URL: options.databaseUrl } : {}),
    ...(options.logLevel ? { PORTCULLIS_LOG_LEVEL: options.logLevel } : {}),
    ...options.env,
  }
  const child = spawnNode(SERVER_COMMAND, {
    env: portcullisEnv(env),
    plain: true,
    pin: options.pin,
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/healthz`, child)
  if (child.pid === undefined) throw new Error('the server has no pid')
  return { url, pid: child.pid, child }
}

/**
 * Starts a Portcullis server (see launchPortcullis), except the log level when given; resolves
 * with its base URL once /healthz answers. `databaseUrl` selects another store (PostgreSQL).
 */
export async function startPortcullis(
  dataDir: string,
  logLevel?: 'silent',
  databaseUrl?: string,
  extraEnv: Record<string, string> = {},
): Promise<string> {
  return (await launchPortcullis({ dataDir, logLevel, databaseUrl, env: extraEnv })).url
}

/** The ceiling: a bare node:http server answering `body` as JSON. */
export async function launchCeiling(body: unknown, pin?: string): Promise<RunningServer> {
  const port = await freePort()
  const child = spawnNode('bench/ceiling-server.ts', {
    env: { BENCH_PORT: String(port), BENCH_BODY: JSON.stringify(body) },
    pin,
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(url, child)
  if (child.pid === undefined) throw new Error('the ceiling has no pid')
  return { url, pid: child.pid, child }
}

/** Starts the ceiling server answering `body` as JSON; resolves with its URL once it answers. */
export async function startCeiling(body: unknown): Promise<string> {
  return (await launchCeiling(body)).url
}
