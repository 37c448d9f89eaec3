import cluster from 'node:cluster'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Config, sharedIssuerCheck } from '../config.js'
import { createLoggers, flushLog, stdoutDestination } from '../loggers.js'
import type { MetricsListener } from '../metrics/listener.js'
import type { RunningServer } from '../server-main.js'
import { startupLine } from '../startup-line.js'
import { startupWarnings } from '../startup-warnings.js'
import { startClusterMetrics } from './metrics.js'
import { prepareDatabase } from './prepare.js'
import { WorkerPool } from './worker-pool.js'

// The worker script beside this module: worker-entry.ts under tsx, worker-entry.js once built.
const workerEntry = fileURLToPath(
  new URL(`./worker-entry${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
)

/**
 * Runs the process as the primary of `config.workers.count` workers serving one port: does the
 * one-time start-up work (prepareDatabase), logs the start-up warnings once, starts the
 * aggregated metrics listener when configured, forks the workers, and logs `portcullis ready`
 * (with `workers`) and the human start-up line once all of them listen. SIGINT and SIGTERM drain
 * every worker; `closed` resolves with 0 once all exited cleanly, else 1 (a worker killed after
 * the 10 s limit, a failed start, or crashes repeating: see RestartPolicy).
 */
export async function runPrimary(
  config: Config,
  env: NodeJS.ProcessEnv,
  terminal: boolean,
): Promise<RunningServer> {
  const logStream = stdoutDestination()
  const logs = createLoggers(config.http.logLevel, logStream)
  const log = logs.app
  const issuerWarning = sharedIssuerCheck(config, env)
  const prepared = await prepareDatabase(config, logs, log)
  for (const warning of startupWarnings(config, issuerWarning)) log.warn(warning)
  const metrics: MetricsListener | null = config.metrics
    ? await startClusterMetrics(config.metrics)
    : null
  // Round-robin: the primary accepts each connection and hands it to the next worker. It is
  // Node's default except on Windows, but NODE_CLUSTER_SCHED_POLICY can change it, and the
  // alternative (workers accepting on a shared socket) leaves the balance to the kernel, which
  // on Linux piles most connections onto one or two busy processes.
  cluster.schedulingPolicy = cluster.SCHED_RR
  cluster.setupPrimary({ exec: workerEntry, args: [] })
  const pool = new WorkerPool(config.workers.count, () => cluster.fork(env), log)
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down')
    pool.stop()
  }
  const onInt = () => shutdown('SIGINT')
  const onTerm = () => shutdown('SIGTERM')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  const closed = pool.ended.then(async (code) => {
    process.removeListener('SIGINT', onInt)
    process.removeListener('SIGTERM', onTerm)
    await metrics?.close().catch(() => {})
    return code
  })
  const url = await pool.start().catch(async (error: unknown) => {
    await closed
    throw error
  })
  if (url === null) return { closed }
  log.info(
    {
      issuer: config.tokens.issuer,
      store: prepared.engine,
      alg: config.keys.alg,
      workers: config.workers.count,
    },
    'portcullis ready',
  )
  if (terminal) {
    const { databaseUrl } = config.store
    logStream.write(`${startupLine({ url, databaseUrl, adminExists: prepared.adminExists })}\n`)
  }
  flushLog(logStream)
  return { closed }
}
