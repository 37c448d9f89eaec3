// POST /password/forgot for a known and an unknown address, side by side: the answer must not
// tell them apart, in latency either. Bounded request counts (each known request writes a
// reset token and its message), on loopback, against a server of its own.
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
 * addresses nobody has, alternating (the order flipped every round, so drift on the machine
 * and the work a known address leaves behind hit both alike). The server has rate limits off
 * (as for the login benchmark) and its mail sender idle (`PORTCULLIS_MAIL_POLL_SECONDS` an
 * hour): this measures the answer, not delivery.
 */
export async function measureForgot(
  temp: string,
  load: LoadClient,
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
  for (const emails of [known, unknown]) await load.run(job(emails, 100))
  const runs: Record<'known' | 'unknown', LoadSummary[]> = { known: [], unknown: [] }
  for (let round = 0; round < ROUNDS; round++) {
    const order =
      round % 2 === 0 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const)
    for (const kind of order) {
      runs[kind].push(await load.run(job(kind === 'known' ? known : unknown, REQUESTS)))
    }
  }
  return { known: aggregate(runs.known), unknown: aggregate(runs.unknown) }
}

export const forgotSettings = { USERS, ROUNDS, REQUESTS, CONNECTIONS }
