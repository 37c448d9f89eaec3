// Runs wrk (a C load generator) as a child process, pinned to the client core where possible,
// with a generated Lua script, and measures its CPU time so a saturated client can be told
// from a saturated server.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pinned } from './pinning.js'
import { reapedChildrenCpuSeconds } from './proc.js'
import { parseWrkOutput, type WrkResult } from './wrk-output.js'
import { type WrkLoad, wrkScript } from './wrk-script.js'

/** One bounded wrk load. */
export interface WrkJob {
  /** Base URL (scheme, host, port); each request's path comes from the load. */
  url: string
  load: WrkLoad
  connections: number
  threads: number
  durationSeconds: number
  /** `taskset -c` cpu list for wrk, or undefined to run it unpinned. */
  pin?: string
}

/** A wrk result and the client's own CPU use over the run. */
export interface WrkRun extends WrkResult {
  /** wrk's user + system CPU seconds (meaningful when no other child ended meanwhile). */
  clientCpuSeconds: number
  /** From spawning wrk to its exit. */
  wallSeconds: number
}

/** Runs one wrk load to completion; rejects when wrk fails or prints no result. */
export async function runWrk(job: WrkJob): Promise<WrkRun> {
  if (job.durationSeconds > 10) throw new Error('a wrk run is bounded to 10 s')
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-wrk-'))
  const script = join(dir, 'load.lua')
  writeFileSync(script, wrkScript(job.load, job.threads))
  const [command, args] = pinned(job.pin, 'wrk', [
    `--threads=${job.threads}`,
    `--connections=${job.connections}`,
    `--duration=${job.durationSeconds}s`,
    '--timeout=10s',
    `--script=${script}`,
    job.url,
  ])
  const cpuBefore = reapedChildrenCpuSeconds()
  const started = performance.now()
  try {
    const { code, stdout, stderr } = await new Promise<{
      code: number | null
      stdout: string
      stderr: string
    }>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        stdout += c
      })
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        stderr = (stderr + c).slice(-4096)
      })
      child.once('error', reject)
      child.once('close', (code) => resolve({ code, stdout, stderr }))
    })
    const wallSeconds = (performance.now() - started) / 1000
    const clientCpuSeconds = reapedChildrenCpuSeconds() - cpuBefore
    if (code !== 0) throw new Error(`wrk exited with ${code}: ${stderr || stdout.slice(-2000)}`)
    return { ...parseWrkOutput(stdout), clientCpuSeconds, wallSeconds }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
