import { Registry } from 'prom-client'
import Transport from 'winston-transport'
import { HealthRegistry } from '../../../framework/http/health/health_registry'
import { createLogger } from '../../../framework/logger'
import { rateLimiterHealthCheck } from '../../../framework/rate_limiter/health_check'
import { Limit } from '../../../framework/rate_limiter/limit'
import { MemoryStore } from '../../../framework/rate_limiter/memory_store'
import { RateLimiter, type LimiterContext } from '../../../framework/rate_limiter/rate_limiter'
import type { RateLimitHit } from '../../../framework/rate_limiter/rate_limit_store'
import { RedisStore } from '../../../framework/rate_limiter/redis_store'
import { RedisManager } from '../../../framework/redis/redis_manager'

class Capture extends Transport {
  readonly records: Array<{ level: string; message: string }> = []
  override log(info: { level: string; message: string }, done: () => void): void {
    this.records.push(info)
    done()
  }
}

const context: LimiterContext = { ip: '10.0.0.1', method: 'POST', route: '/echo', header: () => undefined }

describe('RateLimiter', () => {
  it('declares named limiters for the process, which an instance may override', () => {
    RateLimiter.for('unit-agents', (ctx) => Limit.perMinute(60).by(ctx.user?.id ?? ctx.ip))
    try {
      const limiter = new RateLimiter({ store: new MemoryStore() })
      expect(limiter.limiter('unit-agents')?.(context)).toMatchObject({ maxAttempts: 60, key: '10.0.0.1' })
      limiter.for('unit-agents', () => Limit.perMinute(5))
      expect(limiter.limiter('unit-agents')?.(context)).toMatchObject({ maxAttempts: 5 })
      expect(new RateLimiter({ store: new MemoryStore() }).limiter('unit-agents')?.(context)).toMatchObject({ maxAttempts: 60 })
      expect(limiter.limiter('missing')).toBeUndefined()
    } finally {
      RateLimiter.forget('unit-agents')
    }
  })

  it('passes the store result through', async () => {
    const limiter = new RateLimiter({ store: new MemoryStore() })
    expect(await limiter.attempt('k', 2, 60)).toMatchObject({ allowed: true, limit: 2, remaining: 1 })
    expect(await limiter.attempt('k', 2, 60)).toMatchObject({ allowed: true, remaining: 0 })
    expect(await limiter.attempt('k', 2, 60)).toMatchObject({ allowed: false, remaining: 0 })
  })

  it('counts a request against several windows together, or not at all (attemptAll)', async () => {
    const limiter = new RateLimiter({ store: new MemoryStore() })
    const attempts = [
      { key: 'wide', maxAttempts: 100, windowSeconds: 60 },
      { key: 'narrow', maxAttempts: 1, windowSeconds: 60 },
    ]
    expect(await limiter.attemptAll(attempts)).toMatchObject({ allowed: true, results: [{ remaining: 99 }, { remaining: 0 }] })
    expect(await limiter.attemptAll(attempts)).toMatchObject({ allowed: false, results: [{ allowed: true, remaining: 99 }, { allowed: false }] })
    expect(await limiter.attempt('wide', 100, 60)).toMatchObject({ remaining: 98 })
  })

  describe('when the Redis store is unreachable', () => {
    // A real client against a closed port: the failure is the real one.
    const manager = new RedisManager({ url: 'redis://127.0.0.1:1', prefix: 'unit:' })
    afterAll(() => manager.close())

    function limiter(failOpen: boolean) {
      const capture = new Capture()
      const registry = new Registry()
      const subject = new RateLimiter({
        store: new RedisStore(() => manager.connection()),
        failOpen,
        logger: createLogger({ level: 'info', transports: [capture] }),
        registry,
      })
      const errors = async () => ((await registry.getSingleMetric('langvel_rate_limiter_store_errors_total')?.get())?.values ?? []).map((v) => ({ ...v.labels, value: v.value }))
      return { subject, capture, errors }
    }

    it('fails open: lets requests through, logs the outage once and counts every failure', async () => {
      const { subject, capture, errors } = limiter(true)
      expect(await subject.attempt('k', 1, 60)).toEqual({ allowed: true, degraded: true })
      expect(await subject.attempt('k', 1, 60)).toEqual({ allowed: true, degraded: true })
      expect(capture.records.filter((record) => record.level === 'warn')).toHaveLength(1)
      expect(await errors()).toEqual([{ driver: 'redis', decision: 'allowed', value: 2 }])
    })

    it('fails closed: refuses with 503 E_SERVICE_UNAVAILABLE and Retry-After', async () => {
      const { subject, errors } = limiter(false)
      await expect(subject.attempt('k', 1, 60)).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE', status: 503, headers: { 'Retry-After': '1' } })
      expect(await errors()).toEqual([{ driver: 'redis', decision: 'rejected', value: 1 }])
    })

    it('fails open or closed the same way for several windows at once', async () => {
      const attempts = [{ key: 'k', maxAttempts: 1, windowSeconds: 60 }]
      expect(await limiter(true).subject.attemptAll(attempts)).toEqual({ allowed: true, degraded: true })
      await expect(limiter(false).subject.attemptAll(attempts)).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE' })
    })

    it('reports the store down in the health check, required only when failing closed', async () => {
      const report = (failOpen: boolean) => new HealthRegistry(createLogger({ silent: true })).register(rateLimiterHealthCheck(limiter(failOpen).subject)).run()
      // Failing open, requests still pass: the server is degraded, not down.
      expect(await report(true)).toEqual({ status: 'degraded', checks: { rate_limiter: expect.objectContaining({ status: 'down', required: false }) } })
      expect(await report(false)).toEqual({ status: 'down', checks: { rate_limiter: expect.objectContaining({ status: 'down', required: true }) } })
    })
  })

  it('logs the recovery once the store answers again', async () => {
    const capture = new Capture()
    let failing = true
    const memory = new MemoryStore()
    const store = {
      driver: 'flaky',
      hit: (key: string, max: number, windowMs: number) => (failing ? Promise.reject(new Error('down')) : memory.hit(key, max, windowMs)),
      hitAll: (hits: readonly RateLimitHit[]) => (failing ? Promise.reject(new Error('down')) : memory.hitAll(hits)),
      clear: (key: string) => memory.clear(key),
      ping: () => memory.ping(),
    }
    const limiter = new RateLimiter({ store, logger: createLogger({ level: 'info', transports: [capture] }) })
    await limiter.attempt('k', 1, 60)
    failing = false
    expect(await limiter.attempt('k', 1, 60)).toMatchObject({ allowed: true, remaining: 0 })
    expect(capture.records.map((record) => record.level)).toEqual(['warn', 'info'])
  })
})
