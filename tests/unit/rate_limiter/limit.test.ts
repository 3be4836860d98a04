import { Limit } from '../../../framework/rate_limiter/limit'

describe('Limit', () => {
  it('builds limits per second, minute, minutes, hour and day', () => {
    expect(Limit.perSecond(5)).toMatchObject({ maxAttempts: 5, windowSeconds: 1 })
    expect(Limit.perMinute(60)).toMatchObject({ maxAttempts: 60, windowSeconds: 60 })
    expect(Limit.perMinutes(5, 100)).toMatchObject({ maxAttempts: 100, windowSeconds: 300 })
    expect(Limit.perHour(1000)).toMatchObject({ maxAttempts: 1000, windowSeconds: 3600 })
    expect(Limit.perDay(10, 2)).toMatchObject({ maxAttempts: 10, windowSeconds: 172_800 })
  })

  it('keys a limit with by() without changing the original', () => {
    const base = Limit.perMinute(60)
    const keyed = base.by('user-1')
    expect(keyed).toMatchObject({ maxAttempts: 60, windowSeconds: 60, key: 'user-1' })
    expect(base.key).toBe('')
    expect(Limit.perMinute(1).by(42).key).toBe('42')
  })

  it('has an unlimited limit and refuses nonsense', () => {
    expect(Limit.none().unlimited).toBe(true)
    expect(Limit.perMinute(1).unlimited).toBe(false)
    expect(() => Limit.perMinute(0)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
    expect(() => Limit.perMinute(1.5)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
    expect(() => Limit.of(1, 0)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
  })
})
