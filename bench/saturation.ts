/** CPU used by the load generator and by the server during one load, with their core budgets. */
export interface CpuUse {
  clientCpuSeconds: number
  serverCpuSeconds: number
  wallSeconds: number
  /** Cores the client could use (its threads, capped by its pinning). */
  clientCores: number
  /** Cores the server could use (its processes, capped by its pinning). */
  serverCores: number
}

/** How busy each side was (0..1 of its budget) and whether the client was the limit. */
export interface Saturation {
  clientBusy: number
  serverBusy: number
  /** The client used ~all its cores while the server had CPU to spare: the rate is the client's. */
  clientBound: boolean
}

/** A side using at least this share of its cores counts as saturated. */
export const SATURATED = 0.9

/**
 * Decides whether a load measured the client rather than the server: the client used at least
 * SATURATED of its cores while the server stayed below SATURATED of its own. A client-bound
 * ceiling understates the ceiling, so ratios against it overstate the server.
 */
export function saturation(use: CpuUse): Saturation {
  const share = (cpu: number, cores: number) =>
    use.wallSeconds > 0 && cores > 0 ? cpu / use.wallSeconds / cores : 0
  const clientBusy = share(use.clientCpuSeconds, use.clientCores)
  const serverBusy = share(use.serverCpuSeconds, use.serverCores)
  return { clientBusy, serverBusy, clientBound: clientBusy >= SATURATED && serverBusy < SATURATED }
}
