import type { RateLimitHit, RateLimitResult, RateLimitStore } from './rate_limit_store'

export interface MemoryStoreOptions {
  /** Most keys kept; beyond it the least recently used key is dropped (RATE_LIMIT_MEMORY_MAX_KEYS). */
  maxKeys?: number
  now?: () => number
}

/** Expired keys looked at (from the least recently used end) on each hit. */
const SWEEP_PER_HIT = 2

interface Window {
  /** Timestamps (epoch ms) of the requests still inside the window, oldest first. */
  hits: number[]
  windowMs: number
}

/**
 * A sliding-window log per key, in this process's memory: the timestamps of
 * the requests still inside the window. A hit (or a hit on several keys)
 * runs synchronously from first check to last count, so concurrent requests
 * are counted exactly. Memory is bounded: a key goes when its newest request
 * leaves the window (swept a little on every hit) and the number of keys is
 * capped, least recently used first. Each worker counts on its own: use the
 * redis driver when there are several.
 *
 * @example
 * const store = new MemoryStore({ maxKeys: 10_000 })
 * const result = await store.hit('throttle:/echo:ip:1.2.3.4', 60, 60_000)
 */
export class MemoryStore implements RateLimitStore {
  readonly driver = 'memory'
  private readonly windows = new Map<string, Window>()
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
    return this.count([{ key, max, windowMs }])[0]
  }

  async hitAll(hits: readonly RateLimitHit[]): Promise<RateLimitResult[]> {
    return this.count(hits)
  }

  async clear(key: string): Promise<void> {
    this.windows.delete(key)
  }

  async ping(): Promise<true> {
    return true
  }

  /**
   * Checks every window, then counts the request on all of them or on none,
   * in one synchronous step: no other hit can run in between.
   */
  private count(hits: readonly RateLimitHit[]): RateLimitResult[] {
    const now = this.now()
    this.sweep(now)
    // Taken out of the map while counting, put back as the most recently used.
    const touched = new Map<string, Window>()
    const windows = hits.map(({ key, windowMs }) => {
      const known = touched.get(key)
      if (known) return known
      const entry = this.windows.get(key) ?? { hits: [], windowMs }
      this.windows.delete(key)
      entry.windowMs = windowMs
      let expired = 0
      while (expired < entry.hits.length && entry.hits[expired] <= now - windowMs) expired++
      if (expired > 0) entry.hits.splice(0, expired)
      touched.set(key, entry)
      return entry
    })
    const room = hits.map(({ max }, index) => windows[index].hits.length < max)
    const counted = room.every(Boolean)
    for (const [key, entry] of touched) {
      if (counted) entry.hits.push(now)
      if (entry.hits.length > 0) this.keep(key, entry)
    }
    return hits.map(({ max, windowMs }, index) => {
      const log = windows[index].hits
      const resetAt = log.length > 0 ? log[0] + windowMs : now + windowMs
      return { allowed: room[index], limit: max, remaining: Math.max(0, max - log.length), resetAt, retryAfterMs: room[index] ? 0 : Math.max(1, resetAt - now) }
    })
  }

  /** Stores `entry` as the most recently used key, dropping the least recently used ones past `maxKeys`. */
  private keep(key: string, entry: Window): void {
    while (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next()
      if (oldest.done) break
      this.windows.delete(oldest.value)
    }
    this.windows.set(key, entry)
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
