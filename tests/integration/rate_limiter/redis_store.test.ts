import { randomBytes } from 'node:crypto'
import { RedisStore } from '../../../framework/rate_limiter/redis_store'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { REDIS_URL, describeWithRedis } from '../../helpers/services'

describeWithRedis('RedisStore against a real Redis', () => {
  const prefix = `test:redis-store:${randomBytes(4).toString('hex')}:`
  const managers = [new RedisManager({ url: REDIS_URL, prefix }), new RedisManager({ url: REDIS_URL, prefix })]
  // Two stores on their own connections: two processes sharing one Redis.
  const stores = managers.map((manager) => new RedisStore(() => manager.connection(), { prefix }))
  const redis = () => managers[0].connection()

  afterAll(async () => {
    const keys = await redis().keys(`${prefix}*`)
    if (keys.length > 0) await redis().del(...keys)
    await Promise.all(managers.map((manager) => manager.close()))
  })

  const unique = (name: string) => `${name}:${randomBytes(4).toString('hex')}`

  it('counts a request on every window or on none: refused requests use up nothing', async () => {
    const hits = [
      { key: unique('wide'), max: 100, windowMs: 60_000 },
      { key: unique('narrow'), max: 2, windowMs: 60_000 },
    ]
    const outcomes = []
    for (let i = 0; i < 10; i++) outcomes.push(await stores[i % 2].hitAll(hits))
    expect(outcomes.filter((results) => results.every((result) => result.allowed))).toHaveLength(2)
    expect(outcomes[9][0]).toMatchObject({ allowed: true, limit: 100, remaining: 98, retryAfterMs: 0 })
    expect(outcomes[9][1]).toMatchObject({ allowed: false, limit: 2, remaining: 0 })
    expect(outcomes[9][1].retryAfterMs).toBeGreaterThan(0)
    expect(await redis().zcard(`${prefix}rate_limit:${hits[0].key}`)).toBe(2)
  })

  it('stays exact under concurrency from two connections: of 200 requests against 100 and 10, exactly 10 pass and the 100-window holds 10', async () => {
    const hits = [
      { key: unique('wide'), max: 100, windowMs: 60_000 },
      { key: unique('narrow'), max: 10, windowMs: 60_000 },
    ]
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, index) => stores[index % 2].hitAll(hits)))
    expect(outcomes.filter((results) => results.every((result) => result.allowed))).toHaveLength(10)
    expect(await redis().zcard(`${prefix}rate_limit:${hits[0].key}`)).toBe(10)
    expect(await redis().zcard(`${prefix}rate_limit:${hits[1].key}`)).toBe(10)
  })

  it('counts a key given twice once, and keeps each key only as long as its own window', async () => {
    const key = unique('twice')
    const results = await stores[0].hitAll([
      { key, max: 3, windowMs: 60_000 },
      { key, max: 3, windowMs: 60_000 },
    ])
    expect(results.map((result) => result.remaining)).toEqual([2, 2])
    const short = unique('short')
    const long = unique('long')
    await stores[0].hitAll([
      { key: short, max: 5, windowMs: 1000 },
      { key: long, max: 5, windowMs: 3_600_000 },
    ])
    expect(await redis().pttl(`${prefix}rate_limit:${short}`)).toBeLessThanOrEqual(1000)
    expect(await redis().pttl(`${prefix}rate_limit:${long}`)).toBeGreaterThan(1000)
  })
})
