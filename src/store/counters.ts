import { count, type Db, nothing } from './sql.js'
import type { CounterStore, Reservation } from './store.js'
import { throttle } from './tables.js'

// Both engines compare ISO-8601 strings of one format (`toISOString`) in time order. Parameters
// are numbered as they are pushed onto `values`.
const param = (values: unknown[], value: unknown, type: 'TEXT' | 'INTEGER') =>
  `CAST($${values.push(value)} AS ${type})`
/** The count after this event: one more in the same window, 1 in a new one. */
const nextCount =
  '(CASE WHEN throttle.window_start = excluded.window_start THEN throttle.count + 1 ELSE 1 END)'
/** The later of two times, either of which may be NULL; a block never gets shorter. */
const later = (a: string, b: string) =>
  `(CASE WHEN COALESCE(${a}, '') > COALESCE(${b}, '') THEN ${a} ELSE ${b} END)`
const insert = 'INSERT INTO throttle (key, window_start, count, blocked_until, expires_at)'
const laterExpiry = `expires_at = ${later('throttle.expires_at', 'excluded.expires_at')}`
const blockUpsert = `${insert} VALUES ($1, '', 0, $2, $3) ON CONFLICT (key) DO UPDATE SET
  blocked_until = ${later('throttle.blocked_until', 'excluded.blocked_until')}, ${laterExpiry}`

/** The block the `count`-th event earns under `blocks` (the step with the highest fromCount ≤ count). */
function blockAt(blocks: Reservation['blocks'], count: number): string | null {
  const steps = [...(blocks ?? [])].sort((a, b) => b.fromCount - a.fromCount)
  return steps.find((s) => count >= s.fromCount)?.until ?? null
}

/**
 * The same as `blockAt`, in SQL over the count expression `count`; `values` receives the
 * parameters in order.
 */
function blockSql(blocks: Reservation['blocks'], count: string, values: unknown[]): string {
  const steps = [...(blocks ?? [])].sort((a, b) => b.fromCount - a.fromCount)
  if (steps.length === 0) return 'NULL'
  const whens = steps.map(
    (s) =>
      `WHEN ${count} >= ${param(values, s.fromCount, 'INTEGER')} THEN ${param(values, s.until, 'TEXT')}`,
  )
  return `(CASE ${whens.join(' ')} END)`
}

/**
 * The counter store over either engine: both speak `INSERT … ON CONFLICT … DO UPDATE … WHERE
 * … RETURNING` (SQLite ≥ 3.35, PostgreSQL), which makes `increment` and `reserve` one atomic
 * statement each: on PostgreSQL the conflicting row is locked and the WHERE re-read on its
 * latest version, and SQLite runs one statement at a time.
 */
export function countersStore(db: Db): CounterStore {
  const reserve: CounterStore['reserve'] = async (key, r) => {
    // The INSERT branch is the first event: allowed unless even one exceeds the limit.
    if (r.limit !== undefined && r.limit < 1) return null
    const values: unknown[] = [key, r.windowStart, blockAt(r.blocks, 1), r.expiresAt]
    // Placeholders can be repeated: the block's parameters are bound once, used twice.
    const block = blockSql(r.blocks, nextCount, values)
    const allowed: string[] = []
    if (!r.ignoreBlock) {
      const now = param(values, r.now, 'TEXT')
      allowed.push(`(throttle.blocked_until IS NULL OR throttle.blocked_until <= ${now})`)
    }
    if (r.limit !== undefined) {
      const limit = param(values, r.limit, 'INTEGER')
      allowed.push(`(throttle.window_start <> excluded.window_start OR throttle.count < ${limit})`)
    }
    return db.query(
      `${insert} VALUES ($1, $2, 1, CAST($3 AS TEXT), $4)
       ON CONFLICT (key) DO UPDATE SET
         count = ${nextCount},
         window_start = excluded.window_start,
         blocked_until = (CASE WHEN COALESCE(${block}, '') > COALESCE(throttle.blocked_until, '')
           THEN ${block} ELSE throttle.blocked_until END),
         ${laterExpiry}
       ${allowed.length > 0 ? `WHERE ${allowed.join(' AND ')}` : ''}
       RETURNING count`,
      values,
      ({ rows: [row] }) => (row ? Number(row.count) : null),
    )
  }
  return {
    // One more event without limit or block (a new window restarts at 1): a reservation.
    increment: async (key, windowStart, expiresAt) =>
      (await reserve(key, { windowStart, now: windowStart, expiresAt, ignoreBlock: true })) ?? 1,
    reserve,
    release: (key, windowStart) =>
      db.query(
        'UPDATE throttle SET count = count - 1 WHERE key = $1 AND window_start = $2 AND count > 0',
        [key, windowStart],
        nothing,
      ),
    get: (key) => throttle.first(db, 'SELECT * FROM throttle WHERE key = $1', [key]),
    block: (key, until) => db.query(blockUpsert, [key, until, until], nothing),
    reset: (key) => db.query('DELETE FROM throttle WHERE key = $1', [key], nothing),
    // A prefix compare, not LIKE: a key may hold `%` or `_` (a login's text).
    resetPrefix: (prefix) =>
      db.query(
        'DELETE FROM throttle WHERE substr(key, 1, length(CAST($1 AS TEXT))) = CAST($1 AS TEXT)',
        [prefix],
        count,
      ),
    // The outer condition is re-checked on the row's latest version (PostgreSQL), so a row
    // that a concurrent event just extended survives.
    purge: (now, limit) =>
      db.query(
        `DELETE FROM throttle
         WHERE expires_at < $1 AND (blocked_until IS NULL OR blocked_until <= $1)
           AND key IN (SELECT key FROM throttle WHERE expires_at < $1 LIMIT CAST($2 AS INTEGER))`,
        [now, limit],
        count,
      ),
    size: () =>
      db.query('SELECT count(*) AS n FROM throttle', [], ({ rows }) => Number(rows[0]?.n ?? 0)),
  }
}
