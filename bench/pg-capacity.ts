// `npx tsx bench/pg-capacity.ts`: how many of Portcullis's own queries one PostgreSQL primary
// answers per second on this machine (the basis of the capacity estimate in docs/deployment.md).
// Runs the store's real queries, without the cache, from 32 concurrent callers over a pool of 20.
import { randomUUID } from 'node:crypto'
import { openPostgresStore } from '../src/store/postgres.js'
import { startTestPostgres } from '../test/support/postgres.js'

const SECONDS = 5
const CALLERS = 32

async function measure(name: string, op: (i: number) => Promise<unknown>) {
  let done = 0
  const until = Date.now() + SECONDS * 1000
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (Date.now() < until) await op(done++)
    }),
  )
  const perSecond = done / SECONDS
  console.log(`${name.padEnd(36)} ${perSecond.toFixed(0).padStart(7)} /s`)
  return perSecond
}

const pg = await startTestPostgres({ durable: true })
try {
  const store = openPostgresStore(pg.url, { poolSize: 20, timeoutMs: 5000 })
  await store.migrate()
  const ids: string[] = []
  for (let i = 0; i < 2000; i++) {
    const id = randomUUID()
    ids.push(id)
    await store.users.create({
      id,
      username: `cap${i}`,
      email: null,
      emailCanonical: null,
      fullName: null,
      passwordHash: 'x'.repeat(97),
      createdAt: new Date().toISOString(),
    })
  }
  console.log(`PostgreSQL on loopback, ${CALLERS} callers, pool 20, ${SECONDS} s each`)
  await measure('users.findById (per /users/me miss)', (i) =>
    store.users.findById(ids[i % ids.length] ?? ''),
  )
  await measure('users.findByUsername (per /token)', (i) =>
    store.users.findByUsername(`cap${i % 2000}`),
  )
  await measure('users.create (per /register)', () =>
    store.users.create({
      id: randomUUID(),
      username: `new-${randomUUID()}`,
      email: null,
      emailCanonical: null,
      fullName: null,
      passwordHash: 'x'.repeat(97),
      createdAt: new Date().toISOString(),
    }),
  )
  await store.close()
} finally {
  await pg.destroy()
}
