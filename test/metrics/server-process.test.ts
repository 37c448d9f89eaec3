import assert from 'node:assert/strict'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { createServer } from 'node:net'
import { describe, it } from 'node:test'
import { parse } from 'yaml'
import { PASSWORD } from '../helpers.js'
import { startServer } from '../support/server-process.js'
import { parseExposition, sampleValue } from './exposition.js'

const cheap = {
  PORTCULLIS_DATABASE_URL: 'sqlite::memory:',
  PORTCULLIS_ARGON2_MEMORY_KIB: '256',
  PORTCULLIS_ARGON2_ITERATIONS: '1',
  PORTCULLIS_ISSUER: 'http://portcullis.test',
}

/** A TCP port free at the moment of asking (the metrics port must be given, not 0). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** The TCP ports process `pid` listens on, from /proc (Linux): its sockets in LISTEN state. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (match?.[1]) inodes.add(match[1])
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN; column 9 is the inode.
      if (cols[3] === '0A' && inodes.has(cols[9] ?? '')) {
        ports.push(Number.parseInt((cols[1] ?? '').split(':')[1] ?? '', 16))
      }
    }
  }
  return ports.sort((a, b) => a - b)
}

/** Every metric name the dashboard's and the alerts' expressions read. */
function referencedMetrics(): Set<string> {
  const dashboard = JSON.parse(
    readFileSync(new URL('../../deploy/grafana-dashboard.json', import.meta.url), 'utf8'),
  ) as { panels: { targets: { expr: string }[] }[] }
  const alerts = parse(readFileSync(new URL('../../deploy/alerts.yml', import.meta.url), 'utf8'))
  const exprs = [
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
    ...(alerts.groups as { rules: { expr: string }[] }[]).flatMap((g) =>
      g.rules.map((r) => r.expr),
    ),
  ]
  return new Set(exprs.flatMap((e) => e.match(/\b(?:portcullis|nodejs|process)_[a-z0-9_]+/g) ?? []))
}

describe('the metrics listener of a running server', () => {
  it('is absent by default: one listening port, and /metrics on the API is 404', async (t) => {
    const server = await startServer(cheap)
    t.after(() => server.stop())
    const apiPort = Number(new URL(server.url).port)
    assert.deepEqual(listeningPorts(server.child.pid as number), [apiPort])
    assert.equal((await fetch(`${server.url}/metrics`)).status, 404)
    assert.doesNotMatch(server.output(), /metrics listening/)
  })

  it('serves the process and portcullis metrics on its own loopback port, and closes on SIGTERM', async (t) => {
    const metricsPort = await freePort()
    const server = await startServer({ ...cheap, PORTCULLIS_METRICS_PORT: String(metricsPort) })
    t.after(() => server.stop())
    const apiPort = Number(new URL(server.url).port)
    assert.deepEqual(
      listeningPorts(server.child.pid as number),
      [apiPort, metricsPort].sort((a, b) => a - b),
    )
    // Never with the API.
    assert.equal((await fetch(`${server.url}/metrics`)).status, 404)

    const reg = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: PASSWORD }),
    })
    assert.equal(reg.status, 201)
    const tok = await fetch(`${server.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'alice', password: PASSWORD }),
    })
    assert.equal(tok.status, 200)
    const { access_token } = (await tok.json()) as { access_token: string }
    const me = await fetch(`${server.url}/users/me`, {
      headers: { authorization: `Bearer ${access_token}` },
    })
    assert.equal(me.status, 200)

    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
    assert.equal(res.status, 200)
    const parsed = parseExposition(await res.text())
    const count = 'portcullis_http_request_duration_seconds_count'
    const get = { route: '/users/me', method: 'GET', status_class: '2xx' }
    assert.equal(sampleValue(parsed, count, get), 1)
    assert.equal(sampleValue(parsed, 'portcullis_logins_total', { outcome: 'success' }), 1)
    assert.equal(
      sampleValue(parsed, 'portcullis_tokens_issued_total', { grant_type: 'password' }),
      1,
    )
    // The default process metrics, unprefixed.
    assert.equal(parsed.types.get('process_resident_memory_bytes'), 'gauge')
    assert.ok(sampleValue(parsed, 'process_resident_memory_bytes') > 0)
    assert.equal(parsed.types.get('nodejs_eventloop_lag_p99_seconds'), 'gauge')
    // What the dashboard and the alerts read exists.
    const names = new Set(parsed.samples.map((s) => s.name))
    const referenced = referencedMetrics()
    assert.ok(referenced.size >= 15, `${referenced.size} metrics referenced`)
    for (const name of referenced) assert.ok(names.has(name), `${name} is exposed`)

    assert.equal(await server.stop('SIGTERM'), 0)
    await assert.rejects(fetch(`http://127.0.0.1:${metricsPort}/metrics`))
  })
})

describe('deploy/alerts.yml', () => {
  it('holds exactly the three alerting rules, each with an expression, severity and summary', () => {
    const alerts = parse(readFileSync(new URL('../../deploy/alerts.yml', import.meta.url), 'utf8'))
    const rules = (alerts.groups as { rules: Record<string, unknown>[] }[]).flatMap((g) => g.rules)
    assert.deepEqual(
      rules.map((r) => r.alert),
      [
        'PortcullisRefreshTokenReuse',
        'PortcullisLoginThrottlingSurge',
        'PortcullisPasswordHashQueueSaturated',
      ],
    )
    for (const rule of rules) {
      assert.equal(typeof rule.expr, 'string')
      assert.ok(['critical', 'warning'].includes((rule.labels as { severity: string }).severity))
      assert.equal(typeof (rule.annotations as { summary: unknown }).summary, 'string')
    }
  })
})
