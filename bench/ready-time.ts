// Time to ready: from spawning `node dist/src/server.js` (dist/ already up to date) to the
// first 200 from GET /healthz, polled every 5 ms. The first start is on an empty data
// directory (migrations, new signing keys); the others restart on that same directory, which
// is what a deployment's restart does.
import { join } from 'node:path'
import { freePort, portcullisEnv, spawnNode, stopChild, waitForHttp } from './children.js'
import { SERVER_ENTRY } from './servers.js'
import { median } from './stats.js'

/** Start-up times in milliseconds. */
export interface ReadyTimes {
  /** On an empty data directory. */
  firstMs: number
  /** Each restart on the directory the first start created. */
  restartsMs: number[]
  /** The median of the restarts. */
  medianMs: number
}

async function timeOneStart(dataDir: string): Promise<number> {
  const port = await freePort()
  const started = performance.now()
  const child = spawnNode(SERVER_ENTRY, {
    plain: true,
    env: portcullisEnv({ PORTCULLIS_DATA_DIR: dataDir, PORTCULLIS_PORT: String(port) }),
  })
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, child, 30_000, 5)
    return performance.now() - started
  } finally {
    await stopChild(child)
  }
}

/** Starts the server `1 + restarts` times, one at a time, each stopped before the next. */
export async function measureReadyTimes(temp: string, restarts = 5): Promise<ReadyTimes> {
  const dataDir = join(temp, 'ready')
  const firstMs = await timeOneStart(dataDir)
  const restartsMs: number[] = []
  for (let i = 0; i < restarts; i++) restartsMs.push(await timeOneStart(dataDir))
  return { firstMs, restartsMs, medianMs: median(restartsMs) }
}
