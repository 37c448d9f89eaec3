// Time to ready: from spawning the server as `npm start` does (dist/ already up to date) to the
// first 200 from GET /healthz, polled every 5 ms. The first start is on an empty data
// directory (migrations, new signing keys); the others restart on that same directory, which
// is what a deployment's restart does.
import { join } from 'node:path'
import { freePort, portcullisEnv, spawnNode, stopChild, waitForHttp } from './children.js'
import { cpuSeconds } from './proc.js'
import { SERVER_COMMAND } from './servers.js'
import { median } from './stats.js'

/** Start-up times in milliseconds. */
export interface ReadyTimes {
  /** On an empty data directory. */
  firstMs: number
  /** Each restart on the directory the first start created. */
  restartsMs: number[]
  /** The median of the restarts. */
  medianMs: number
  /**
   * CPU time (user + system) each restart had used when it answered: unlike wall time, this
   * hardly moves when other processes share the machine, so it shows what a quiet host would see.
   */
  restartsCpuMs: number[]
  medianCpuMs: number
}

async function timeOneStart(dataDir: string): Promise<{ wallMs: number; cpuMs: number }> {
  const port = await freePort()
  const started = performance.now()
  const child = spawnNode(SERVER_COMMAND, {
    plain: true,
    env: portcullisEnv({ PORTCULLIS_DATA_DIR: dataDir, PORTCULLIS_PORT: String(port) }),
  })
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, child, 30_000, 5)
    const wallMs = performance.now() - started
    return { wallMs, cpuMs: child.pid === undefined ? 0 : cpuSeconds(child.pid) * 1000 }
  } finally {
    await stopChild(child)
  }
}

/** Starts the server `1 + restarts` times, one at a time, each stopped before the next. */
export async function measureReadyTimes(temp: string, restarts = 5): Promise<ReadyTimes> {
  const dataDir = join(temp, 'ready')
  const firstMs = (await timeOneStart(dataDir)).wallMs
  const starts: { wallMs: number; cpuMs: number }[] = []
  for (let i = 0; i < restarts; i++) starts.push(await timeOneStart(dataDir))
  const restartsMs = starts.map((s) => s.wallMs)
  const restartsCpuMs = starts.map((s) => s.cpuMs)
  return {
    firstMs,
    restartsMs,
    medianMs: median(restartsMs),
    restartsCpuMs,
    medianCpuMs: median(restartsCpuMs),
  }
}
