import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { JobMessage, LoadJob, LoadSummary, ResultMessage } from './load-job.js'
import { pinned } from './pinning.js'

const children = new Set<ChildProcess>()

/** The repository root: children run from here so `--import tsx` resolves. */
export const root = new URL('..', import.meta.url).pathname

export interface SpawnOptions {
  env?: Record<string, string>
  /** Adds an IPC channel (for the load clients). */
  ipc?: boolean
  /** Runs the entry as compiled JavaScript with plain `node`, without the tsx loader. */
  plain?: boolean
  /** A `taskset -c` cpu list to pin the process (and every thread and child it starts) to. */
  pin?: string
}

/**
 * Starts `node --import tsx <entry>` (or `node <entry>` when `plain`; `entry` may be node's
 * flags followed by the file), pinned when asked, with
 * stdout discarded and stderr kept (last 8 KiB, for error messages). Every child is tracked
 * until it exits, so `stopAll` can end it. `taskset` execs node, so the child's pid is node's.
 */
export function spawnNode(
  entry: string | readonly string[],
  options: SpawnOptions = {},
): ChildProcess {
  const [command, args] = pinned(options.pin, process.execPath, [
    ...(options.plain ? [] : ['--import', 'tsx']),
    ...(typeof entry === 'string' ? [entry] : entry),
  ])
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe', ...(options.ipc ? ['ipc' as const] : [])],
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8192)
  })
  children.add(child)
  child.on('exit', (code, signal) => {
    children.delete(child)
    if (!stopping && !expectedExits.has(child) && code !== 0) {
      console.error(`bench: ${entry} exited (${signal ?? code})${stderr ? `:\n${stderr}` : ''}`)
    }
  })
  return child
}

const expectedExits = new WeakSet<ChildProcess>()

/** Stops one child (SIGTERM, SIGKILL after 3 s) and resolves once it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  expectedExits.add(child)
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const force = setTimeout(() => child.kill('SIGKILL'), 3000)
    child.once('exit', () => {
      clearTimeout(force)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

let stopping = false

/** Ends every child still running: SIGTERM, then SIGKILL after 3 s. */
export async function stopAll(): Promise<void> {
  stopping = true
  await Promise.all([...children].map(stopChild))
}

/** Last resort on process exit (synchronous): SIGKILL whatever is left. */
export function killAllNow(): void {
  for (const child of children) child.kill('SIGKILL')
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/**
 * Polls `url` every `intervalMs` until it answers 200; fails if `child` exits first or after
 * `timeoutMs`.
 */
export async function waitForHttp(
  url: string,
  child: ChildProcess,
  timeoutMs = 30_000,
  intervalMs = 100,
) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server for ${url} exited before it was ready`)
    }
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    )
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms`)
}

/**
 * The environment for a Portcullis child: no inherited PORTCULLIS_* variables, and those a
 * `.env` in the repository would set are blanked (the server treats empty as unset), so the
 * server runs on its defaults plus `overrides`.
 */
export function portcullisEnv(overrides: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('PORTCULLIS_')) env[name] = ''
  }
  const dotEnv = `${root}.env`
  if (existsSync(dotEnv)) {
    for (const match of readFileSync(dotEnv, 'utf8').matchAll(/^\s*(?:export\s+)?(\w+)\s*=/gm)) {
      const name = match[1]
      if (name?.startsWith('PORTCULLIS_')) env[name] = ''
    }
  }
  // Login throttling and rate limits would refuse the benchmark's own load: relaxed here.
  return { ...env, PORTCULLIS_RATE_LIMITS: 'false', ...overrides }
}

/** The parent side of a load-client child: sends jobs, resolves with their summaries. */
export class LoadClient {
  private nextId = 0
  private readonly pending = new Map<
    number,
    { resolve: (s: LoadSummary) => void; reject: (e: Error) => void }
  >()
  private readonly ready: Promise<void>

  constructor(private readonly child: ChildProcess) {
    this.ready = new Promise((resolve, reject) => {
      child.on('message', (message: ResultMessage) => {
        if ('ready' in message) return resolve()
        const waiter = this.pending.get(message.id)
        this.pending.delete(message.id)
        if ('error' in message) waiter?.reject(new Error(message.error))
        else waiter?.resolve(message.summary)
      })
      child.on('exit', () => {
        const error = new Error('the load client exited')
        reject(error)
        for (const waiter of this.pending.values()) waiter.reject(error)
        this.pending.clear()
      })
    })
  }

  /** Starts a load-client child process. */
  static start(): LoadClient {
    return new LoadClient(spawnNode('bench/load-client.ts', { ipc: true }))
  }

  /** Runs one load to completion in the child. */
  async run(job: LoadJob): Promise<LoadSummary> {
    await this.ready
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.child.send({ id, job } satisfies JobMessage)
    })
  }
}
