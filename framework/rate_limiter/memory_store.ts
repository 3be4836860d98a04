import type { RateLimitResult, RateLimitStore } from './rate_limit_store'

export interface MemoryStoreOptions {
  /** Most keys kept; beyond it the least recently used key is dropped (RATE_LIMIT_MEMORY_MAX_KEYS). */
  maxKeys?: number
  now?: () => number
}

/** Expired keys looked at (from the least recently used end) on each hit. */
const SWEEP_PER_HIT = 2

/**
 * A sliding-window log per key, in this process's memory: the timestamps of
 * the requests still inside the window. JavaScript runs one hit at a time,
 * so concurrent requests are counted exactly. Memory is bounded: a key goes
 * when its newest request leaves the window (swept a little on every hit) and
 * the number of keys is capped, least recently used first. Each worker
 * counts on its own: use the redis driver when there are several.
 *
 * @example
 * const store = new MemoryStore({ maxKeys: 10_000 })
 * const result = await store.hit('throttle:/echo:ip:1.2.3.4', 60, 60_000)
 */
export class MemoryStore implements RateLimitStore {
  readonly driver = 'memory'
  private readonly windows = new Map<string, { hits: number[]; windowMs: number }>()
  private readonly maxKeys: number
  private readonly now: () => number

  constructor(options: MemoryStoreOptions = {}) {
    this.maxKeys = options.maxKeys ?? 10_000
    this.now = options.now ?? Date.now
  }

  get size(): number {
    return this.windows.size
  }

  async hit(key: string, max: number, windowMs: number): Promise<RateLimitResult> {
    const now = this.now()
    this.sweep(now)
    let entry = this.windows.get(key)
    if (entry) {
      this.windows.delete(key)
    } else {
      while (this.windows.size >= this.maxKeys) {
        const oldest = this.windows.keys().next()
        if (oldest.done) break
        this.windows.delete(oldest.value)
      }
      entry = { hits: [], windowMs }
    }
    entry.windowMs = windowMs
    const hits = entry.hits
    let expired = 0
    while (expired < hits.length && hits[expired] <= now - windowMs) expired++
    if (expired > 0) hits.splice(0, expired)

    const allowed = hits.length < max
    if (allowed) hits.push(now)
    if (hits.length > 0) this.windows.set(key, entry)
    const resetAt = hits.length > 0 ? hits[0] + windowMs : now + windowMs
    return { allowed, limit: max, remaining: Math.max(0, max - hits.length), resetAt, retryAfterMs: allowed ? 0 : Math.max(1, resetAt - now) }
  }

  async clear(key: string): Promise<void> {
    this.windows.delete(key)
  }

  async ping(): Promise<true> {
    return true
  }

  /** Drops keys whose newest request has left its window, least recently used first. */
  private sweep(now: number): void {
    let looked = 0
    for (const [key, entry] of this.windows) {
      if (looked++ >= SWEEP_PER_HIT) break
      const newest = entry.hits[entry.hits.length - 1]
      if (newest === undefined || newest <= now - entry.windowMs) this.windows.delete(key)
      else break
    }
  }
}
