import { LRUCache } from 'lru-cache'
import { deleteWhere, lruClock, setUntil } from '../support/lru'

/**
 * What the hot path knows about a credential's status (revoked token ids,
 * API key records): lookups of the same key that run at the same time share
 * one store round trip, and with `ttlMs > 0` an answer is reused for at most
 * that long. Changes made by this process (`set`, `deleteWhere`) apply at
 * once; changes made by another process are seen within `ttlMs`. With
 * `ttlMs = 0` (the default) only concurrent lookups are shared, so a
 * revocation is seen by the next request that starts after it.
 *
 * @example
 * const revoked = await cache.get(jti, () => store.isRevoked(jti))
 */
export class StatusCache<V> {
  /** Answers are boxed: lru-cache cannot hold `undefined` (an unknown key is an answer too). */
  private readonly answers?: LRUCache<string, { value: V }>
  private readonly inFlight = new Map<string, Promise<V>>()
  /** Bumped by every local change: a lookup that started before one is not cached. */
  private epoch = 0

  constructor(
    readonly ttlMs: number,
    maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    if (ttlMs > 0 && maxEntries > 0) this.answers = new LRUCache({ max: maxEntries, ...lruClock(now) })
  }

  async get(key: string, load: () => Promise<V>, cacheable: (value: V) => boolean = () => true): Promise<V> {
    const known = this.answers?.get(key)
    if (known) return known.value
    const pending = this.inFlight.get(key)
    if (pending) return pending
    const started = this.now()
    const epoch = this.epoch
    const lookup = load().finally(() => {
      if (this.inFlight.get(key) === lookup) this.inFlight.delete(key)
    })
    this.inFlight.set(key, lookup)
    const value = await lookup
    // Trusted from the start of the lookup, so an answer never outlives its bound.
    if (this.answers && epoch === this.epoch && cacheable(value)) setUntil(this.answers, key, { value }, started + this.ttlMs)
    return value
  }

  /** Records a change made by this process; it wins over anything in flight. */
  set(key: string, value: V, ttlMs = this.ttlMs): void {
    this.epoch++
    this.inFlight.delete(key)
    if (this.answers) setUntil(this.answers, key, { value }, this.now() + ttlMs)
  }

  deleteWhere(predicate: (value: V, key: string) => boolean): void {
    this.epoch++
    if (this.answers) deleteWhere(this.answers, (answer, key) => predicate(answer.value, key))
  }

  clear(): void {
    this.epoch++
    this.answers?.clear()
  }
}
