/**
 * A read-through cache whose entries live at most `ttlMs`, for lookups on the request path.
 * Writes call `forget`/`forgetAll`; a generation counter makes sure a read that overlapped a
 * write (or any eviction: a change announced by another process) never caches what it saw. An
 * entry stamped in the future (the clock stepped back) is treated as stale, so a clock change
 * can never stretch the bound. While suspended, every lookup is a load and nothing is kept.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>()
  private generation = 0
  private suspended = false

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number,
    private readonly limit = 100_000,
  ) {}

  /** The cached value, or `load(key)` (cached unless an eviction overlapped it). */
  get(key: string, load: (key: string) => Promise<V>): Promise<V> {
    if (this.suspended) return load(key)
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

  /**
   * Forgets everything and serves nothing from memory until `resume`; a read in flight keeps
   * nothing either (the generation moved).
   */
  suspend(): void {
    this.forgetAll()
    this.suspended = true
  }

  /** Forgets everything (anything may have changed meanwhile), then caches again. */
  resume(): void {
    this.forgetAll()
    this.suspended = false
  }
}
