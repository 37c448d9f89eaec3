// Child process entry: runs autocannon loads sent by the parent over IPC, one at a time, so
// the load generator's CPU is not the bench process's and two loads can run side by side.
import autocannon, { type Request } from 'autocannon'
import type { JobMessage, LoadJob, LoadSummary, ResultMessage } from './load-job.js'
import { quantile } from './stats.js'

/** A request that spends a pooled refresh token and returns its successor to the pool. */
function refreshRequest(pool: string[]): Request {
  return {
    method: 'POST',
    setupRequest: (req) => ({
      ...req,
      headers: { ...req.headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: pool.shift() ?? '',
      }).toString(),
    }),
    onResponse: (status, body) => {
      if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token)
    },
  }
}

function runLoad(job: LoadJob): Promise<LoadSummary> {
  const { variants } = job
  let next = 0
  const runId = `${process.pid}x${Date.now().toString(36)}`
  const pool = [...(job.refreshTokens ?? [])]
  const request: Request = job.refreshTokens
    ? refreshRequest(pool)
    : {
        method: job.method,
        setupRequest: (req) => {
          const variant = variants[next++ % variants.length] ?? {}
          return {
            ...req,
            headers: { ...req.headers, ...variant.headers },
            ...(variant.body === undefined
              ? {}
              : { body: variant.body.replaceAll('{n}', `${runId}x${next}`) }),
          }
        },
      }
  // autocannon's own histogram has 1 ms resolution; sub-millisecond medians need the raw times.
  const latencies: number[] = []
  return new Promise((resolve, reject) => {
    const tracker = autocannon(
      {
        url: job.url,
        connections: job.connections,
        ...(job.amount === undefined ? { duration: job.durationSeconds } : { amount: job.amount }),
        timeout: 10,
        requests: [request],
      },
      (error, result) => {
        if (error) return reject(error)
        const sorted = Float64Array.from(latencies).sort()
        const statusCodes: Record<string, number> = {}
        for (const [code, stat] of Object.entries(result.statusCodeStats)) {
          statusCodes[code] = stat.count
        }
        resolve({
          requestsPerSecond: result.requests.total / result.duration,
          p50Ms: quantile(sorted, 0.5),
          p99Ms: quantile(sorted, 0.99),
          total: result.requests.total,
          ok2xx: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationSeconds: result.duration,
          statusCodes,
        })
      },
    )
    tracker.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms)
    })
  })
}

process.on('message', (message: JobMessage) => {
  const reply = (m: ResultMessage) => process.send?.(m)
  runLoad(message.job).then(
    (summary) => reply({ id: message.id, summary }),
    (error: unknown) => reply({ id: message.id, error: String(error) }),
  )
})
process.send?.({ ready: true } satisfies ResultMessage)
// Exit with the parent: a closed IPC channel means the bench is gone.
process.on('disconnect', () => process.exit(0))
