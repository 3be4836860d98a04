interface Entry<V> {
  value: V
  expiresAt: number
}

/**
 * A bounded least-recently-used map whose entries also expire at their own
 * time. A Map keeps insertion order, so re-inserting on read makes the first
 * key the least recently used one: eviction and lookup are O(1).
 *
 * @example
 * const cache = new ExpiringLru<string, Principal>(10_000)
 * cache.set(token, principal, exp * 1000)
 * cache.get(token) // undefined once Date.now() >= exp * 1000
 */
export class ExpiringLru<K, V> {
  private readonly entries = new Map<K, Entry<V>>()

  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key)
      return undefined
    }
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry.value
  }

  /** Stores until `expiresAt` (epoch ms); a size of 0 disables the cache. */
  set(key: K, value: V, expiresAt: number): void {
    if (this.maxEntries <= 0 || expiresAt <= this.now()) return
    this.entries.delete(key)
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next()
      if (oldest.done) break
      this.entries.delete(oldest.value)
    }
    this.entries.set(key, { value, expiresAt })
  }

  delete(key: K): void {
    this.entries.delete(key)
  }

  /** Drops every entry matching `predicate` (a revoked token's cached verifications). */
  deleteWhere(predicate: (value: V, key: K) => boolean): void {
    for (const [key, entry] of this.entries) if (predicate(entry.value, key)) this.entries.delete(key)
  }

  clear(): void {
    this.entries.clear()
  }
}
