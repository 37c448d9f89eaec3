import { randomUUID } from 'node:crypto'
import pg from 'pg'
import {
  parseStatusChange,
  type StatusChanges,
  type StatusSubscriber,
  statusChannel,
} from './invalidation.js'

export interface StatusListenerOptions {
  /** Bound on connecting and on the heartbeat's round trip, in milliseconds. */
  timeoutMs: number
  /** How often the idle connection is proven alive (and kept busy for idle-dropping firewalls). */
  heartbeatMs?: number
  /** First and longest wait between reconnection attempts, in milliseconds. */
  backoff?: { minMs: number; maxMs: number }
}

/** What operators see in pg_stat_activity for this connection. */
export const listenerApplicationName = 'portcullis-listener'

/** Where a listener sends itself a probe, to prove its LISTEN holds (not on statusChannel). */
const probeChannel = `${statusChannel}_probe`

/**
 * The probes in flight on one connection, by token. One `notification` handler serves them all,
 * so a burst of writes, each awaiting a probe, adds no listener per write.
 */
type Probes = Map<string, () => void>

/**
 * Round trips on one connection, one at a time (a `pg` client must not be handed a query while
 * another runs): a caller arriving while a probe is out waits for the next one, which is sent
 * after it arrived, and every caller that arrives meanwhile shares that next probe. So a burst
 * of N writes costs two probes, not N, and each caller's answer still comes from a probe sent
 * after its call, as `settle` requires.
 */
function probeRounds(client: pg.Client, probes: Probes, timeoutMs: number) {
  let current: Promise<void> | null = null
  let next: Promise<void> | null = null
  const round = (): Promise<void> => {
    if (!current) {
      current = probe(client, probes, timeoutMs).finally(() => {
        current = null
      })
      return current
    }
    next ??= current
      .catch(() => {})
      .then(() => {
        next = null
        return round()
      })
    return next
  }
  return round
}

/**
 * Resolves once `client` receives a notification it sent itself after LISTEN: proof that the
 * subscription lives on this connection. Behind a pooler in transaction mode (PgBouncer) the
 * LISTEN and the NOTIFY land on different server connections, the probe never arrives, and the
 * feed stays down (uncached) instead of silently missing every change.
 */
function probe(client: pg.Client, probes: Probes, timeoutMs: number): Promise<void> {
  const token = randomUUID()
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer)
      probes.delete(token)
      if (error) reject(error)
      else resolve()
    }
    // After a stalled event loop the timer may fire before the socket holding the answer is
    // read: the check phase (setImmediate) comes after the poll phase, which reads it.
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (!probes.has(token)) return
          done(new Error('LISTEN does not hold on this connection (a pooler in transaction mode?)'))
        }),
      timeoutMs,
    )
    probes.set(token, () => done())
    client.query('SELECT pg_notify($1, $2)', [probeChannel, token]).catch(done)
  })
}

/** A feed of status changes that can be closed (with its store). */
export interface StatusListener extends StatusChanges {
  close(): Promise<void>
}

/**
 * The PostgreSQL status feed: one dedicated connection (not from the pool, where a LISTEN would
 * be lost when the client is handed to another query) that LISTENs on `statusChannel` and
 * delivers each notification to the subscribers. It connects at the first subscriber. When the
 * connection fails (refused, terminated, heartbeat unanswered) the subscribers hear `down` at
 * once and the feed reconnects with exponential backoff; `live` comes only after the new
 * LISTEN is acknowledged and proven (a probe notification to itself came back), so a change
 * committed while it was away is either seen by a fresh read or delivered. A heartbeat
 * (`SELECT 1`) bounds how long a silently dead connection (a half-open TCP link) goes
 * unnoticed. Through a pooler in transaction mode (PgBouncer) the probe never returns: the feed
 * stays down and the instance serves uncached.
 */
export function statusListener(url: string, options: StatusListenerOptions): StatusListener {
  const heartbeatMs = options.heartbeatMs ?? 5000
  const { minMs, maxMs } = options.backoff ?? { minMs: 100, maxMs: 5000 }
  const subscribers = new Set<StatusSubscriber>()
  let client: pg.Client | null = null
  let roundTrip: () => Promise<void> = () => Promise.resolve()
  let listening = false
  let started = false
  let closed = false
  let failures = 0
  let retry: NodeJS.Timeout | undefined
  let heartbeat: NodeJS.Timeout | undefined

  const each = (fn: (s: StatusSubscriber) => void) => {
    for (const s of subscribers) fn(s)
  }

  /** Ends `lost` (if it is the current client) and schedules the next attempt. */
  function fail(lost: pg.Client, error: Error) {
    if (lost !== client) return
    client = null
    clearInterval(heartbeat)
    lost.removeAllListeners('notification')
    lost.end().catch(() => {})
    // Down once per outage: when a live connection drops, or when the first attempt fails.
    if (listening || failures === 0) each((s) => s.down(error))
    listening = false
    failures++
    if (closed) return
    const wait = Math.min(maxMs, minMs * 2 ** Math.min(failures - 1, 16))
    retry = setTimeout(connect, wait)
    retry.unref()
  }

  function connect() {
    if (closed) return
    const next = new pg.Client({
      connectionString: url,
      application_name: listenerApplicationName,
      connectionTimeoutMillis: options.timeoutMs,
      query_timeout: options.timeoutMs,
      keepAlive: true,
    })
    client = next
    const ownProbes: Probes = new Map()
    const ownRoundTrip = probeRounds(next, ownProbes, options.timeoutMs)
    next.on('notification', (message) => {
      if (message.channel === probeChannel) return ownProbes.get(message.payload ?? '')?.()
      if (message.channel !== statusChannel) return
      const change = parseStatusChange(message.payload)
      each((s) => s.changed(change))
    })
    next.on('error', (error) => fail(next, error))
    next.on('end', () => fail(next, new Error('the listening connection ended')))
    next
      .connect()
      .then(() => next.query(`LISTEN ${statusChannel}; LISTEN ${probeChannel}`))
      .then(ownRoundTrip)
      .then(() => {
        if (next !== client) return
        if (closed) return void next.end().catch(() => {})
        failures = 0
        listening = true
        roundTrip = ownRoundTrip
        // The heartbeat is a probe too (one query at a time on this client), and proves the
        // LISTEN still holds, not only the connection.
        heartbeat = setInterval(() => {
          ownRoundTrip().catch((error: Error) => fail(next, error))
        }, heartbeatMs)
        heartbeat.unref()
        each((s) => s.live())
      })
      .catch((error: Error) => fail(next, error))
  }

  return {
    get listening() {
      return listening
    },
    // Notifications reach a listener in commit order: once a probe sent now comes back, every
    // change committed before it has been delivered here (and, signalled at the same moment,
    // to the other instances' listeners).
    settle: () => {
      if (!listening) return Promise.resolve()
      return roundTrip().catch(() => {})
    },
    subscribe(subscriber) {
      subscribers.add(subscriber)
      if (!started && !closed) {
        started = true
        connect()
      } else if (listening) subscriber.live()
      return () => subscribers.delete(subscriber)
    },
    async close() {
      closed = true
      clearTimeout(retry)
      clearInterval(heartbeat)
      const last = client
      client = null
      if (listening) {
        listening = false
        each((s) => s.down(new Error('the store is closed')))
      }
      subscribers.clear()
      await last?.end().catch(() => {})
    },
  }
}
