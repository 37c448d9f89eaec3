/**
 * A read-through cache whose entries live at most `ttlMs`, for lookups on the request path.
 * Writes call `forget`/`forgetAll`; a read that overlapped an eviction of its key (a write, or a
 * change announced by another process), or of everything, never caches what it saw. An
 * entry stamped in the future (the clock stepped back) is treated as stale, so a clock change
 * can never stretch the bound. While suspended, every lookup is a load and nothing is kept.
 *
 * Memory: entries are kept in the order they were stored, so each store first releases the
 * expired ones at the front, and beyond `limit` entries the oldest go. What the cache holds is
 * therefore what was looked up within the last `ttlMs`, never more than `limit` entries: keys
 * seen once (a session that ended, a user deleted) do not stay until the cache fills.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>()
  private generation = 0
  /** The reads in flight, by key: whether their key was evicted meanwhile. */
  private readonly loading = new Map<string, { count: number; forgotten: boolean }>()
  private suspended = false

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number,
    private readonly limit = 10_000,
  ) {}

  /** How many entries are held (expired ones included until the next store releases them). */
  get size(): number {
    return this.entries.size
  }

  /**
   * The entry of `key` while it is fresh, synchronously; undefined when there is none, it has
   * expired, or the cache is suspended (then the caller must ask the source). The one freshness
   * rule: `get` serves a hit through it too.
   */
  peek(key: string): { readonly value: V } | undefined {
    if (this.suspended) return undefined
    const hit = this.entries.get(key)
    if (hit === undefined) return undefined
    const now = this.now()
    return now >= hit.at && now - hit.at < this.ttlMs ? hit : undefined
  }

  /** The cached value, or `load(key)` (cached unless an eviction overlapped it). */
  get(key: string, load: (key: string) => Promise<V>): Promise<V> {
    // Not an async function: a hit on the request path costs no extra promise machinery.
    const hit = this.peek(key)
    if (hit) return Promise.resolve(hit.value)
    return this.suspended ? load(key) : this.load(key, this.now(), load)
  }

  private async load(key: string, now: number, load: (key: string) => Promise<V>): Promise<V> {
    const seen = this.generation
    // Per key, so that an eviction of another key (every refresh evicts its own session) does
    // not keep this read from being cached; `forgetAll` moves the generation instead.
    let loading = this.loading.get(key)
    if (!loading) {
      loading = { count: 0, forgotten: false }
      this.loading.set(key, loading)
    }
    loading.count++
    try {
      const value = await load(key)
      if (seen === this.generation && !loading.forgotten) this.store(key, value, now)
      return value
    } finally {
      if (--loading.count === 0 && this.loading.get(key) === loading) this.loading.delete(key)
    }
  }

  private store(key: string, value: V, now: number): void {
    // Deleted first so that the key moves to the end: the front stays the oldest.
    this.entries.delete(key)
    for (const [oldKey, entry] of this.entries) {
      const fresh = now >= entry.at && now - entry.at < this.ttlMs
      if (fresh && this.entries.size < this.limit) break
      this.entries.delete(oldKey)
    }
    this.entries.set(key, { value, at: now })
  }

  forget(key: string): void {
    this.entries.delete(key)
    const loading = this.loading.get(key)
    if (loading) {
      // The reads in flight keep nothing; the next read starts a fresh record.
      loading.forgotten = true
      this.loading.delete(key)
    }
  }

  forgetAll(): void {
    this.generation++
    this.entries.clear()
    this.loading.clear()
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
