// POST /password/forgot for a known and an unknown address, side by side: the answer must not
// tell them apart, in latency either. Bounded request counts (each known request writes a
// reset token and its message), on loopback, against a server of its own. The two loads run at
// the same time, from two load clients, so both meet the same server: what differs between
// their latencies is what the answer itself reveals, not which load made the server busier.
import { join } from 'node:path'
import type { LoadClient } from './children.js'
import type { LoadJob, LoadSummary } from './load-job.js'
import { type Aggregate, aggregate } from './report.js'
import { startPortcullis } from './servers.js'
import { createUsers } from './users.js'

const USERS = 20
const ROUNDS = 4
const REQUESTS = 400
const CONNECTIONS = 4

/**
 * Runs ROUNDS × REQUESTS forgot requests for the addresses of registered users and as many for
 * addresses nobody has, the two loads at once (one per load client), so drift on the machine
 * and the work a known address leaves behind hit both alike. The server has rate limits off
 * (as for the login benchmark) and its mail sender idle (`PORTCULLIS_MAIL_POLL_SECONDS` an
 * hour): this measures the answer, not delivery.
 */
export async function measureForgot(
  temp: string,
  loadKnown: LoadClient,
  loadUnknown: LoadClient,
): Promise<{ known: Aggregate; unknown: Aggregate }> {
  const url = await startPortcullis(join(temp, 'forgot'), 'silent', undefined, {
    PORTCULLIS_MAIL_POLL_SECONDS: '3600',
  })
  const users = await createUsers(url, USERS)
  const job = (emails: string[], amount: number): LoadJob => ({
    url: `${url}/password/forgot`,
    method: 'POST',
    connections: CONNECTIONS,
    durationSeconds: 0,
    amount,
    variants: emails.map((email) => ({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    })),
  })
  const known = users.map((u) => `${u.username}@example.com`)
  const unknown = users.map((_, i) => `nobody_${String(i).padStart(3, '0')}@example.com`)
  await Promise.all([loadKnown.run(job(known, 100)), loadUnknown.run(job(unknown, 100))])
  const runs: Record<'known' | 'unknown', LoadSummary[]> = { known: [], unknown: [] }
  for (let round = 0; round < ROUNDS; round++) {
    const [k, u] = await Promise.all([
      loadKnown.run(job(known, REQUESTS)),
      loadUnknown.run(job(unknown, REQUESTS)),
    ])
    runs.known.push(k)
    runs.unknown.push(u)
  }
  return { known: aggregate(runs.known), unknown: aggregate(runs.unknown) }
}

export const forgotSettings = { USERS, ROUNDS, REQUESTS, CONNECTIONS }
