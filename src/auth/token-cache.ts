/**
 * A bounded map of already-verified tokens, keyed by a string the caller derives from the token
 * (AccessTokens: its signature, the entry holding the whole token), evicting the least recently
 * inserted entry. It only saves the signature check: callers must still check
 * expiry and the user's status on every hit.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>()

  constructor(private readonly limit: number) {}

  get(key: string): V | undefined {
    return this.entries.get(key)
  }

  set(key: string, value: V): void {
    if (this.limit === 0) return
    if (this.entries.size >= this.limit) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
    this.entries.set(key, value)
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  clear(): void {
    this.entries.clear()
  }

  get size(): number {
    return this.entries.size
  }
}
