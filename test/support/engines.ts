import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import pg from 'pg'

/** The engine the HTTP suite runs on in this pass: `sqlite` (default) or `postgres`. */
export const testEngine = process.env.PORTCULLIS_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite'

/** The PostgreSQL server the tests use (started by test/run.ts, or given by the developer). */
export function testPostgresUrl(): string {
  const url = process.env.PORTCULLIS_TEST_DATABASE_URL
  if (!url)
    throw new Error('PORTCULLIS_TEST_DATABASE_URL is not set: run the tests with `npm test`')
  return url
}

/**
 * A database URL for one test: a fresh in-memory SQLite, or a fresh schema on the test
 * PostgreSQL server (dropped after the test), so tests never see each other's rows.
 */
export async function freshDatabaseUrl(t: TestContext, engine = testEngine): Promise<string> {
  if (engine === 'sqlite') return 'sqlite::memory:'
  const base = testPostgresUrl()
  const schema = `t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.end()
  t.after(async () => {
    const dropper = new pg.Client({ connectionString: base })
    await dropper.connect()
    await dropper.query(`DROP SCHEMA ${schema} CASCADE`)
    await dropper.end()
  })
  const url = new URL(base)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}

/**
 * Like `freshDatabaseUrl`, but one that several stores can open at once: on SQLite a file in a
 * temporary directory (removed after the test) instead of a private in-memory database.
 */
export async function sharedDatabaseUrl(t: TestContext, engine = testEngine): Promise<string> {
  if (engine !== 'sqlite') return freshDatabaseUrl(t, engine)
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-shared-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return `sqlite:${join(dir, 'portcullis.db')}`
}
