// Which cores the load generator and the servers run on. With `taskset` and at least two
// cores, wrk gets the last core to itself and a single-process server the others, so neither
// steals the other's CPU and a saturated client shows as such instead of as a slow server.
import { accessSync, constants } from 'node:fs'
import { availableParallelism } from 'node:os'
import { delimiter, join } from 'node:path'

/** The full path of `command` on the PATH, or undefined. */
export function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const path = join(dir, command)
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {}
  }
  return undefined
}

/** Where each side runs. The cpu lists are `taskset -c` lists; undefined when unpinned. */
export interface Pinning {
  /** The cores the load generator is pinned to. */
  client?: string
  /** The cores a single-process server is pinned to. */
  server?: string
  clientCores: number
  serverCores: number
  /** One sentence for the report. */
  description: string
}

/**
 * The pinning this machine allows: taskset on the PATH and two cores or more. `taskset` is its
 * path, null when absent (found on the PATH by default).
 */
export function choosePinning(
  cores = availableParallelism(),
  taskset: string | null = onPath('taskset') ?? null,
): Pinning {
  if (!taskset || cores < 2) {
    return {
      clientCores: cores,
      serverCores: cores,
      description: `unpinned (${taskset ? 'one core' : 'taskset not on the PATH'}): client and server share ${cores} core(s)`,
    }
  }
  const last = cores - 1
  const server = last === 1 ? '0' : `0-${last - 1}`
  return {
    client: String(last),
    server,
    clientCores: 1,
    serverCores: last,
    description: `wrk pinned to core ${last} (taskset -c ${last}), single-process servers to core(s) ${server}`,
  }
}

/** `command args` prefixed with `taskset -c cpus` when `cpus` is given. */
export function pinned(
  cpus: string | undefined,
  command: string,
  args: string[],
): [string, string[]] {
  return cpus ? ['taskset', ['-c', cpus, command, ...args]] : [command, args]
}
