import type { CounterRecord, CounterStore } from './store.js'

/** Runs one parameterized statement; placeholders are written `?` and translated per engine. */
export type Run = <R>(sql: string, values: unknown[]) => Promise<R[]>

/**
 * The counter store over either engine: both speak `INSERT … ON CONFLICT … RETURNING`
 * (SQLite ≥ 3.35, PostgreSQL), which makes `increment` one atomic statement.
 */
export function counterStore(run: Run): CounterStore {
  return {
    async increment(key, windowStart) {
      const rows = await run<{ count: number | string }>(
        `INSERT INTO throttle (key, window_start, count, blocked_until) VALUES (?, ?, 1, NULL)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN throttle.window_start = excluded.window_start THEN throttle.count + 1 ELSE 1 END,
           window_start = excluded.window_start
         RETURNING count`,
        [key, windowStart],
      )
      return Number(rows[0]?.count ?? 1)
    },
    async get(key) {
      const rows = await run<{
        window_start: string
        count: number | string
        blocked_until: string | null
      }>('SELECT window_start, count, blocked_until FROM throttle WHERE key = ?', [key])
      const row = rows[0]
      if (!row) return null
      const record: CounterRecord = {
        windowStart: row.window_start,
        count: Number(row.count),
        blockedUntil: row.blocked_until,
      }
      return record
    },
    async block(key, until) {
      await run(
        `INSERT INTO throttle (key, window_start, count, blocked_until) VALUES (?, '', 0, ?)
         ON CONFLICT (key) DO UPDATE SET blocked_until = excluded.blocked_until`,
        [key, until],
      )
    },
    async reset(key) {
      await run('DELETE FROM throttle WHERE key = ?', [key])
    },
  }
}
