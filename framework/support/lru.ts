import type { LRUCache } from 'lru-cache'

/**
 * LRUCache options that time entries on `now` (epoch ms: Date.now, or a
 * test's settable clock), read on every check. lru-cache otherwise keeps
 * the time it last read for `ttlResolution` ms, until a timer clears it: a
 * settable clock moved in between, or a long synchronous stretch, would see
 * an entry alive after its end.
 *
 * lru-cache takes a start time of 0 to mean "no ttl": a test clock must not
 * read 0.
 *
 * @example
 * const cache = new LRUCache<string, Answer>({ max: 1000, ...lruClock(now) })
 */
export function lruClock(now: () => number = Date.now): { perf: { now: () => number }; ttlResolution: 0 } {
  return { perf: { now }, ttlResolution: 0 }
}

/**
 * Stores `value` until `expiresAt` (epoch ms on the cache's clock, the first
 * moment it is gone), or removes `key` when no time is left, so an older
 * answer never outlives a newer one that could not be kept.
 *
 * lru-cache keeps an entry while its age is at most its ttl, one ms past
 * where our expiry times end, hence the `- 1`; and a ttl of 0 would mean
 * "forever", hence the removal.
 *
 * @example
 * setUntil(cache, token, verified, verified.acceptedUntil)
 */
export function setUntil<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(cache: LRUCache<K, V>, key: K, value: V, expiresAt: number): void {
  const ttl = expiresAt - cache.perf.now() - 1
  if (ttl > 0) cache.set(key, value, { ttl })
  else cache.delete(key)
}

/**
 * Removes every live entry for which `predicate` holds (a revoked token's
 * cached verifications, a revoked key's record). The keys are collected
 * before any is removed: lru-cache does not promise its iterators survive
 * deletion underneath them.
 *
 * @example
 * deleteWhere(cache, (entry) => entry.jti === jti)
 */
export function deleteWhere<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(cache: LRUCache<K, V>, predicate: (value: V, key: K) => boolean): void {
  const doomed: K[] = []
  for (const [key, value] of cache.entries()) if (predicate(value, key)) doomed.push(key)
  for (const key of doomed) cache.delete(key)
}
