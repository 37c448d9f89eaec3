import { freePort, portcullisEnv, spawnNode, waitForHttp } from './children.js'

/**
 * Starts a Portcullis server (`node --import tsx src/server.ts`) on a free loopback port with a
 * fresh data directory and default settings, except the log level when given; resolves with
 * its base URL once /healthz answers. `databaseUrl` selects another store (PostgreSQL).
 */
export async function startPortcullis(
  dataDir: string,
  logLevel?: 'silent',
  databaseUrl?: string,
  extraEnv: Record<string, string> = {},
): Promise<string> {
  const port = await freePort()
  const env: Record<string, string> = {
    PORTCULLIS_DATA_DIR: dataDir,
    PORTCULLIS_PORT: String(port),
  }
  if (databaseUrl) env.PORTCULLIS_DATABASE_URL = databaseUrl
  Object.assign(env, extraEnv)
  const child = spawnNode('src/server.ts', {
    env: portcullisEnv(logLevel ? { ...env, PORTCULLIS_LOG_LEVEL: logLevel } : env),
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/healthz`, child)
  return url
}

/** Starts the ceiling server answering `body` as JSON; resolves with its URL once it answers. */
export async function startCeiling(body: unknown): Promise<string> {
  const port = await freePort()
  const child = spawnNode('bench/ceiling-server.ts', {
    env: { BENCH_PORT: String(port), BENCH_BODY: JSON.stringify(body) },
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(url, child)
  return url
}
