import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { Agent, request } from 'node:http'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

import { staleSources } from '../../scripts/build-if-stale.mjs'
import { startArguments } from '../../scripts/start-command.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))

/**
 * What `npm start` runs (the bundle and its node flags) when the build is up to date (`npm test`
 * builds it first): it starts in well under a second, where each worker compiling the sources
 * with tsx takes several on a busy machine. Otherwise the sources through tsx, with the same
 * node flags.
 */
function serverCommand(): string[] {
  const start = startArguments(root)
  if (staleSources(root).length === 0) return start
  return [...start.slice(0, -1), '--import', import.meta.resolve('tsx'), `${root}src/server.ts`]
}

/** A server process started as `npm start` starts it, with its workers' process ids. */
export interface RunningCluster {
  url: string
  child: ChildProcess
  primary: number
  output: () => string
  /** The primary's child processes now (its workers). */
  workers: () => number[]
  /** Sends `signal` to the primary and resolves with its exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/**
 * Starts `src/server.ts` with PORTCULLIS_WORKERS=`count` and waits for its `portcullis ready`
 * line (in a cluster, the primary's: all workers listen by then), at most 60 s. The process and any worker
 * left are killed after the test, or at once when the start fails.
 */
export async function startCluster(
  t: TestContext,
  count: number,
  env: Record<string, string>,
): Promise<RunningCluster> {
  const child = spawn(process.execPath, serverCommand(), {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      PORTCULLIS_PORT: '0',
      PORTCULLIS_RATE_LIMITS: 'false',
      PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
      PORTCULLIS_WORKERS: String(count),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const primary = child.pid ?? 0
  let output = ''
  child.stdout.on('data', (d) => {
    output += d
  })
  child.stderr.on('data', (d) => {
    output += d
  })
  const exited = once(child, 'exit')
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
    child.kill(signal)
    const [code] = await exited
    return code as number | null
  }
  const kill = async () => {
    const workers = childrenOf(primary)
    await stop('SIGKILL')
    for (const pid of workers) process.kill(pid, 'SIGKILL')
  }
  t.after(kill)
  await waitUntil(
    () => {
      if (child.exitCode !== null)
        throw new Error(`server exited with ${child.exitCode}:\n${output}`)
      // The workers' own listening lines are written by each worker, apart from the primary's.
      return /"msg":"portcullis ready"/.test(output) && /Server listening at /.test(output)
    },
    60_000,
    () => `no ready line:\n${output}`,
  ).catch(async (error: unknown) => {
    await kill()
    throw error
  })
  const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? ''
  return { url, child, primary, output: () => output, workers: () => childrenOf(primary), stop }
}

/** Polls `check` every 20 ms until it holds; fails with `explain()` after `limitMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  limitMs: number,
  explain: () => string,
): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`after ${limitMs} ms: ${explain()}`)
    await sleep(20)
  }
}

/** The process ids whose parent is `pid` (from /proc: Linux only, as the deployment is). */
export function childrenOf(pid: number): number[] {
  const children: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // The command name (field 2) may hold spaces: the fields after its closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === pid) children.push(Number(entry))
    } catch {
      // The process ended while /proc was read.
    }
  }
  return children.sort((a, b) => a - b)
}

/** The process among `pids` holding the server's end of the TCP connection from `clientPort`. */
export function processOfConnection(serverPort: number, clientPort: number, pids: number[]) {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0')
  let inode: string | undefined
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f[1]?.endsWith(`:${hex(serverPort)}`) && f[2]?.endsWith(`:${hex(clientPort)}`)) {
        inode = f[9]
      }
    }
  }
  if (!inode) throw new Error(`no connection ${serverPort} <- ${clientPort} in /proc/net/tcp`)
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return pid
      } catch {
        // The descriptor closed meanwhile.
      }
    }
  }
  throw new Error(`no process of ${pids.join(', ')} holds socket ${inode}`)
}

export interface Answer {
  status: number
  body: string
}

/**
 * A keep-alive connection known to be served by one worker (`pid`): every request goes over the
 * same socket, checked, so an assertion made through it is about that worker and no other.
 */
export interface PinnedConnection {
  pid: number
  send(
    method: string,
    path: string,
    headers?: Record<string, string>,
    body?: string,
  ): Promise<Answer>
  close(): void
}

function send(
  url: string,
  agent: Agent | undefined,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer & { localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method, agent, headers }, (res) => {
      // Read now: once the response ends, a keep-alive socket goes back to the agent.
      const localPort = res.socket.localPort ?? 0
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => {
        text += d
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, localPort }))
    })
    req.on('error', reject)
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path}: no answer in 15 s`)))
    req.end(body)
  })
}

/** One request on a new connection that is closed after it (round-robin spreads these). */
export function sendOnce(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return send(url, undefined, method, path, { ...headers, connection: 'close' }, body)
}

/**
 * Opens keep-alive connections until every worker of the cluster has one (round-robin hands
 * consecutive connections to consecutive workers, so this takes about one per worker; at most
 * 10 per worker are tried), and returns one per worker.
 */
export async function pinEveryWorker(cluster: RunningCluster): Promise<PinnedConnection[]> {
  const workers = cluster.workers()
  const serverPort = Number(new URL(cluster.url).port)
  const pinned = new Map<number, PinnedConnection>()
  for (let tries = 0; pinned.size < workers.length && tries < 10 * workers.length; tries++) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const first = await send(cluster.url, agent, 'GET', '/healthz')
    if (first.status !== 200) throw new Error(`/healthz answered ${first.status}`)
    const pid = processOfConnection(serverPort, first.localPort, workers)
    if (pinned.has(pid)) {
      agent.destroy()
      continue
    }
    pinned.set(pid, {
      pid,
      async send(method, path, headers, body) {
        const answer = await send(cluster.url, agent, method, path, headers, body)
        if (answer.localPort !== first.localPort) throw new Error(`connection to ${pid} was lost`)
        return answer
      },
      close: () => agent.destroy(),
    })
  }
  if (pinned.size < workers.length) throw new Error(`could not reach every worker of ${workers}`)
  return [...pinned.values()]
}
