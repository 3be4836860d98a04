import { VerifiedTokenCache, type VerifiedToken } from '../../../framework/auth/jwt/verified_token_cache'
import { Clock } from './helpers'

function verified(jti: string, acceptedUntil: number): VerifiedToken {
  return { principal: Object.freeze({ id: 'alice', type: 'user' as const, permissions: [], claims: {} }), jti, expiresAt: acceptedUntil - 5000, acceptedUntil }
}

describe('VerifiedTokenCache', () => {
  it('serves a token until the millisecond before acceptedUntil, never at it', () => {
    const clock = new Clock()
    const cache = new VerifiedTokenCache(10, clock.now)
    cache.set('token', verified('j1', clock.ms + 65_000))
    clock.ms += 64_999
    expect(cache.get('token')?.jti).toBe('j1')
    clock.ms += 1
    expect(cache.get('token')).toBeUndefined()
  })

  it('does not keep a token that is no longer accepted', () => {
    const clock = new Clock()
    const cache = new VerifiedTokenCache(10, clock.now)
    cache.set('token', verified('j1', clock.ms))
    expect(cache.size).toBe(0)
  })

  it('holds at most maxEntries tokens, dropping the least recently used', () => {
    const clock = new Clock()
    const cache = new VerifiedTokenCache(2, clock.now)
    cache.set('a', verified('ja', clock.ms + 60_000))
    cache.set('b', verified('jb', clock.ms + 60_000))
    cache.get('a')
    cache.set('c', verified('jc', clock.ms + 60_000))
    expect(cache.size).toBe(2)
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')?.jti).toBe('ja')
  })

  it('forgets every token carrying a revoked jti', () => {
    const clock = new Clock()
    const cache = new VerifiedTokenCache(10, clock.now)
    cache.set('first', verified('revoked', clock.ms + 60_000))
    cache.set('second', verified('revoked', clock.ms + 60_000))
    cache.set('other', verified('kept', clock.ms + 60_000))
    cache.forgetJti('revoked')
    expect(cache.get('first')).toBeUndefined()
    expect(cache.get('second')).toBeUndefined()
    expect(cache.get('other')?.jti).toBe('kept')
  })

  it('keeps nothing with a size of 0 (every request is verified)', () => {
    const clock = new Clock()
    const cache = new VerifiedTokenCache(0, clock.now)
    cache.set('token', verified('j1', clock.ms + 60_000))
    expect(cache.get('token')).toBeUndefined()
    expect(cache.size).toBe(0)
  })
})
