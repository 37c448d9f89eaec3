// Resident memory of one server under the mixed load the issue names: logins (an argon2id hash
// of 19 MiB each in flight), /users/me and the refresh grant at once, from three wrk processes
// on the client core. VmRSS is read from /proc after start, every 100 ms during the load and a
// few seconds after it; VmHWM (the kernel's high-water mark) is the peak, so no spike between
// samples is missed. Several workers are summed (the primary and its children).
import { type Memory, treeMemory } from './proc.js'
import { runWrk, type WrkRun } from './wrk.js'
import type { WrkLoad } from './wrk-script.js'

/** RSS figures in bytes. */
export interface MemoryFigures {
  afterStartBytes: number
  /** The highest VmRSS sampled during the mixed load. */
  sampledPeakBytes: number
  /** VmHWM at the end of the load: the peak since start, start-up and user creation included. */
  peakBytes: number
  /** VmRSS a few seconds after the load ended. */
  afterBytes: number
}

/** One of the concurrent loads of the mixed run. */
export interface MixedPart {
  name: string
  load: WrkLoad
  connections: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs `parts` at once against `url` for `seconds` while sampling the memory of `pid`'s tree.
 * `afterStart` is the reading taken right after the server became ready.
 */
export async function measureMixedMemory(options: {
  url: string
  pid: number
  afterStart: Memory
  parts: MixedPart[]
  seconds: number
  pin?: string
  settleMs?: number
}): Promise<{ figures: MemoryFigures; runs: Record<string, WrkRun> }> {
  let sampledPeakBytes = treeMemory(options.pid).rssBytes
  let running = true
  const sampler = (async () => {
    while (running) {
      sampledPeakBytes = Math.max(sampledPeakBytes, treeMemory(options.pid).rssBytes)
      await sleep(100)
    }
  })()
  let results: WrkRun[]
  try {
    results = await Promise.all(
      options.parts.map((part) =>
        runWrk({
          url: options.url,
          load: part.load,
          connections: part.connections,
          threads: 1,
          durationSeconds: options.seconds,
          pin: options.pin,
        }),
      ),
    )
  } finally {
    running = false
    await sampler
  }
  const peakBytes = treeMemory(options.pid).peakBytes
  await sleep(options.settleMs ?? 3000)
  return {
    figures: {
      afterStartBytes: options.afterStart.rssBytes,
      sampledPeakBytes,
      peakBytes,
      afterBytes: treeMemory(options.pid).rssBytes,
    },
    runs: Object.fromEntries(options.parts.map((p, i) => [p.name, results[i] as WrkRun])),
  }
}
