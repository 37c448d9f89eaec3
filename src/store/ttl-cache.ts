/**
 * A read-through cache whose entries live at most `ttlMs`, for lookups on the request path.
 * Writes call `forget`/`forgetAll`; a generation counter makes sure a read that overlapped a
 * write never caches what it saw. An entry stamped in the future (the clock stepped back) is
 * treated as stale, so a clock change can never stretch the bound.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>()
  private generation = 0

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number,
    private readonly limit = 100_000,
  ) {}

  /** The cached value, or `load(key)` (cached unless a write overlapped it). */
  get(key: string, load: (key: string) => Promise<V>): Promise<V> {
    const hit = this.entries.get(key)
    const now = this.now()
    // Not an async function: a hit on the request path costs no extra promise machinery.
    if (hit && now >= hit.at && now - hit.at < this.ttlMs) return Promise.resolve(hit.value)
    return this.load(key, now, load)
  }

  private async load(key: string, now: number, load: (key: string) => Promise<V>): Promise<V> {
    const seen = this.generation
    const value = await load(key)
    if (seen === this.generation) {
      if (this.entries.size >= this.limit) this.entries.clear()
      this.entries.set(key, { value, at: now })
    }
    return value
  }

  forget(key: string): void {
    this.generation++
    this.entries.delete(key)
  }

  forgetAll(): void {
    this.generation++
    this.entries.clear()
  }
}
