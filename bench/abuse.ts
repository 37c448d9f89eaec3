// `npx tsx bench/abuse.ts`: credential stuffing against 50 accounts from many addresses while
// their owner keeps logging in: a lockout an attacker could aim at the owner would be a denial
// of service. Loopback only; bounded in requests and time.
// The simulated addresses travel in X-Forwarded-For, trusted from 127.0.0.1 only.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stopAll } from './children.js'
import { startPortcullis } from './servers.js'
import { quantile } from './stats.js'

const ATTEMPTS = 10_000
const ACCOUNTS = 50
const ATTACKER_CONCURRENCY = 16
const MAX_SECONDS = 150
const PASSWORD = 'correct horse battery staple'

async function post(url: string, body: Record<string, string>, ip: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'x-forwarded-for': ip, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  })
  return {
    status: res.status,
    json: (await res.json().catch(() => ({}))) as Record<string, string>,
  }
}

async function main(temp: string) {
  const base = await startPortcullis(join(temp, 'abuse'), 'silent', undefined, {
    PORTCULLIS_RATE_LIMITS: 'true',
    PORTCULLIS_TRUST_PROXY: '127.0.0.1',
    PORTCULLIS_REGISTER_LIMIT: '1000',
  })
  for (let i = 0; i < ACCOUNTS; i++) {
    const res = await fetch(`${base}/register`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': `192.0.2.${(i % 250) + 1}`,
      },
      body: JSON.stringify({ username: `victim${i}`, password: `${PASSWORD} ${i}` }),
    })
    if (res.status !== 201) throw new Error(`register victim${i}: ${res.status}`)
  }
  const owner = { username: 'victim0', password: `${PASSWORD} 0`, ip: '198.51.100.77' }
  const first = await post(
    `${base}/token`,
    { username: owner.username, password: owner.password },
    owner.ip,
  )
  const device = first.json.device_token ?? ''
  const deadline = Date.now() + MAX_SECONDS * 1000
  const attack: Record<number, number> = {}
  let sent = 0
  const attacker = async () => {
    while (sent < ATTEMPTS && Date.now() < deadline) {
      const n = sent++
      // A pool of 1,000 addresses: each one comes back every 1,000 attempts.
      const ip = `10.0.${Math.floor((n % 1000) / 250)}.${(n % 250) + 1}`
      const { status } = await post(
        `${base}/token`,
        { username: `victim${n % ACCOUNTS}`, password: `guess-${n}` },
        ip,
      )
      attack[status] = (attack[status] ?? 0) + 1
    }
  }
  let attackDone = false
  const logins: number[] = []
  const meLatency: number[] = []
  const ownerLoop = async () => {
    while (!attackDone && Date.now() < deadline) {
      const res = await post(
        `${base}/token`,
        { username: owner.username, password: owner.password, device_token: device },
        owner.ip,
      )
      logins.push(res.status)
      const token = res.json.access_token
      for (let i = 0; token && i < 20; i++) {
        const started = performance.now()
        await fetch(`${base}/users/me`, {
          headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': owner.ip },
        })
        meLatency.push(performance.now() - started)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  const started = Date.now()
  const owners = ownerLoop()
  await Promise.all(Array.from({ length: ATTACKER_CONCURRENCY }, attacker))
  attackDone = true
  await owners
  const sorted = Float64Array.from(meLatency).sort()
  const ok = logins.filter((s) => s === 200).length
  console.log(
    [
      `attack: ${sent} failed-login attempts against ${ACCOUNTS} accounts from many addresses in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(attack)} (400 = checked and wrong, 429 = refused by a limit without hashing)`,
      `owner (one of the attacked accounts, known device, own address): ${ok}/${logins.length} logins succeeded`,
      `owner's GET /users/me during the attack: ${sorted.length} requests, p50 ${quantile(sorted, 0.5).toFixed(2)} ms, p99 ${quantile(sorted, 0.99).toFixed(2)} ms (target p99 < 50 ms)`,
    ].join('\n'),
  )
  if (ok !== logins.length || quantile(sorted, 0.99) >= 50) process.exitCode = 1
}

const temp = mkdtempSync(join(tmpdir(), 'portcullis-abuse-'))
try {
  await main(temp)
} finally {
  await stopAll()
  rmSync(temp, { recursive: true, force: true })
}
