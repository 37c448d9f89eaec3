import type { Worker } from 'node:cluster'
import type { Logger } from 'pino'
import { isListeningMessage, isRoleRequest, type RoleMessage } from './messages.js'
import { RestartPolicy } from './restart-policy.js'

/** How long workers may take to drain before they are killed (as a single process is forced). */
const drainLimitMs = 10_000

/**
 * The primary's workers, one per slot (slot 0 is the housekeeper, see WorkerRole). It forks
 * them, learns when each listens, replaces one that exits while the server runs (with the
 * RestartPolicy's backoff, giving up when crashes repeat), and drains them all on `stop`.
 */
export class WorkerPool {
  private readonly live = new Set<Worker>()
  private readonly listening = new Set<Worker>()
  private readonly restarts = new Set<NodeJS.Timeout>()
  private stopping = false
  private failed = false
  private started = false
  private onAllListening: (url: string | null) => void = () => {}
  private onStartFailed: (error: Error) => void = () => {}
  private finish: (code: number) => void = () => {}
  /** Resolves with the primary's exit code once every worker has exited after `stop`. */
  readonly ended = new Promise<number>((resolve) => {
    this.finish = resolve
  })

  constructor(
    private readonly count: number,
    private readonly fork: () => Worker,
    private readonly log: Logger,
    private readonly policy = new RestartPolicy(),
    private readonly now = Date.now,
  ) {}

  /**
   * Forks every worker; resolves with the address once all of them listen, or null when `stop`
   * came first. Rejects when a worker exits before all listen: the others are stopped (a worker
   * that cannot start would only fail again).
   */
  start(): Promise<string | null> {
    const result = new Promise<string | null>((resolve, reject) => {
      this.onAllListening = resolve
      this.onStartFailed = reject
    })
    for (let slot = 0; slot < this.count; slot++) this.spawn(slot)
    return result
  }

  /** Sends SIGTERM to every worker (each drains and exits); after 10 s, SIGKILL to the rest. */
  stop(): void {
    if (this.stopping) return
    this.stopping = true
    for (const timer of this.restarts) clearTimeout(timer)
    this.restarts.clear()
    if (!this.started) this.onAllListening(null)
    if (this.live.size === 0) {
      this.finish(this.failed ? 1 : 0)
      return
    }
    for (const worker of this.live) worker.process.kill('SIGTERM')
    const force = setTimeout(() => {
      this.failed = true
      for (const worker of this.live) worker.process.kill('SIGKILL')
    }, drainLimitMs)
    force.unref()
  }

  /** The process ids of the workers running now. */
  pids(): number[] {
    return [...this.live].flatMap((worker) => worker.process.pid ?? [])
  }

  private spawn(slot: number) {
    const worker = this.fork()
    this.live.add(worker)
    worker.on('message', (message: unknown) => {
      if (isRoleRequest(message))
        worker.send({ type: 'portcullis:role', slot } satisfies RoleMessage)
      else if (isListeningMessage(message)) this.listened(worker, message.url)
    })
    // A send on a closed channel or a failed kill is reported here; unheard, it would end the
    // primary and every worker with it.
    worker.on('error', (error: Error) =>
      this.log.warn({ worker: worker.process.pid, err: error }, 'worker channel error'),
    )
    worker.on('exit', (code: number | null, signal: string | null) =>
      this.exited(worker, slot, code, signal),
    )
  }

  private listened(worker: Worker, url: string) {
    this.listening.add(worker)
    if (this.started) {
      this.log.info({ worker: worker.process.pid }, 'replacement worker listening')
    } else if (this.listening.size === this.count) {
      this.started = true
      this.onAllListening(url)
    }
  }

  private exited(worker: Worker, slot: number, code: number | null, signal: string | null) {
    this.live.delete(worker)
    this.listening.delete(worker)
    const pid = worker.process.pid
    if (this.stopping) {
      if (code !== 0) this.failed = true
      if (this.live.size === 0) this.finish(this.failed ? 1 : 0)
      return
    }
    if (!this.started) {
      this.log.error({ worker: pid, code, signal }, 'a worker exited before the server was ready')
      this.failed = true
      this.onStartFailed(new Error(`worker ${pid} exited during start (code ${code}, ${signal})`))
      this.stop()
      return
    }
    const decision = this.policy.crashed(this.now())
    if (decision.action === 'give-up') {
      this.log.error({ worker: pid, code, signal }, 'workers keep exiting: shutting down')
      this.failed = true
      this.stop()
      return
    }
    this.log.warn(
      { worker: pid, code, signal, restartInMs: decision.delayMs },
      'worker exited: replacing it',
    )
    const timer = setTimeout(() => {
      this.restarts.delete(timer)
      this.spawn(slot)
    }, decision.delayMs)
    this.restarts.add(timer)
  }
}
