import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { LlmManager, LlmMetrics, OFFLINE_CONFIG, RedisResponseCache } from '../../../framework/llm'
import { REDIS_URL, describeWithRedis } from '../../helpers/services'

describeWithRedis('LLM response cache on Redis', () => {
  let redis: Redis
  const prefix = `langvel-test-llm-${randomUUID().slice(0, 8)}:`

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  })
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })

  it('stores answers under <prefix>llm:cache: with a TTL', async () => {
    const cache = new RedisResponseCache(() => redis, prefix)
    const answer = { content: 'cached text', toolCalls: [{ name: 'lookup', args: { q: 'x' }, id: 'c1' }] }

    await cache.set('abc', answer, 120)

    await expect(cache.get('abc')).resolves.toEqual(answer)
    await expect(cache.get('missing')).resolves.toBeUndefined()
    const ttl = await redis.ttl(`${prefix}llm:cache:abc`)
    expect(ttl).toBeGreaterThan(100)
    expect(ttl).toBeLessThanOrEqual(120)
  })

  it('treats a corrupt entry as a miss', async () => {
    const cache = new RedisResponseCache(() => redis, prefix)
    await redis.set(`${prefix}llm:cache:corrupt`, '{not json', 'EX', 60)

    await expect(cache.get('corrupt')).resolves.toBeUndefined()
  })

  it('serves a repeated call from Redis with LLM_CACHE=redis, across managers (as across workers)', async () => {
    const config = { ...OFFLINE_CONFIG, cache: { driver: 'redis' as const, ttlSeconds: 60, maxEntries: 10 } }
    const make = () => new LlmManager({ config, redis: () => redis, redisPrefix: prefix, metrics: new LlmMetrics(new Registry()) })
    const first = make()
    const second = make()
    first.fake().reply({ text: 'computed once', usage: { promptTokens: 3, completionTokens: 2 } })
    const question = `what is ${randomUUID()}?`

    const original = await first.llm().invoke(question)
    const fromRedis = await second.llm().invoke(question)

    expect(original.cached).toBe(false)
    expect(fromRedis).toMatchObject({ cached: true, text: 'computed once', usage: { promptTokens: 3, completionTokens: 2, estimated: false } })
    expect(second.fake().calls).toHaveLength(0)
  })
})
