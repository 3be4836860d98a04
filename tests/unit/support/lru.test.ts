import { LRUCache } from 'lru-cache'
import { deleteWhere, lruClock, setUntil } from '../../../framework/support/lru'

/** A settable clock in epoch ms (lru-cache reads a start time of 0 as "no ttl", so it starts elsewhere). */
function clock(start = Date.UTC(2026, 0, 1)): { now: () => number; ms: number } {
  const state = { ms: start, now: () => state.ms }
  return state
}

describe('support/lru', () => {
  describe('setUntil on a cache timed by lruClock', () => {
    it('keeps an entry up to the millisecond before expiresAt and never at it', () => {
      const time = clock()
      const cache = new LRUCache<string, string>({ max: 10, ...lruClock(time.now) })
      setUntil(cache, 'token', 'alice', time.ms + 5000)
      time.ms += 4999
      expect(cache.get('token')).toBe('alice')
      time.ms += 1
      expect(cache.get('token')).toBeUndefined()
      expect(cache.has('token')).toBe(false)
    })

    it('reads the clock on every check: an entry is gone the moment the clock passes its end, with no timer run', () => {
      jest.useFakeTimers()
      try {
        const time = clock()
        const cache = new LRUCache<string, string>({ max: 10, ...lruClock(time.now) })
        setUntil(cache, 'a', 'first', time.ms + 100)
        expect(cache.get('a')).toBe('first')
        time.ms += 100
        expect(cache.get('a')).toBeUndefined()
      } finally {
        jest.useRealTimers()
      }
    })

    it('stores nothing with no time left (to lru-cache a ttl of 0 means forever), and drops the older entry under that key', () => {
      const time = clock()
      const cache = new LRUCache<string, string>({ max: 10, ...lruClock(time.now) })
      setUntil(cache, 'key', 'older answer', time.ms + 60_000)
      setUntil(cache, 'key', 'newer answer', time.ms)
      expect(cache.get('key')).toBeUndefined()
      setUntil(cache, 'past', 'answer', time.ms - 1)
      setUntil(cache, 'one ms', 'answer', time.ms + 1)
      expect(cache.size).toBe(0)
    })

    it('gives each entry its own end, and evicts the least recently used past max', () => {
      const time = clock()
      const cache = new LRUCache<string, string>({ max: 2, ...lruClock(time.now) })
      setUntil(cache, 'short', 's', time.ms + 1000)
      setUntil(cache, 'long', 'l', time.ms + 10_000)
      time.ms += 1000
      expect(cache.get('short')).toBeUndefined()
      expect(cache.get('long')).toBe('l')

      setUntil(cache, 'a', 'a', time.ms + 10_000)
      cache.get('long')
      setUntil(cache, 'b', 'b', time.ms + 10_000)
      expect(cache.get('a')).toBeUndefined()
      expect([...cache.keys()].sort()).toEqual(['b', 'long'])
    })
  })

  describe('deleteWhere', () => {
    it('removes every entry the predicate picks, keeping the others', () => {
      const cache = new LRUCache<string, { jti: string }>({ max: 10 })
      cache.set('t1', { jti: 'revoked' })
      cache.set('t2', { jti: 'kept' })
      cache.set('t3', { jti: 'revoked' })
      cache.set('t4', { jti: 'kept' })
      deleteWhere(cache, (entry) => entry.jti === 'revoked')
      expect([...cache.keys()].sort()).toEqual(['t2', 't4'])
    })

    it('hands the key to the predicate as well', () => {
      const cache = new LRUCache<string, number>({ max: 10 })
      cache.set('keep', 1)
      cache.set('drop', 1)
      deleteWhere(cache, (_value, key) => key === 'drop')
      expect([...cache.keys()]).toEqual(['keep'])
    })
  })
})
