import { randomUUID } from 'node:crypto'
import { RedisRunEvents } from '../../../framework/run_events/redis_run_events'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { REDIS_URL, describeWithRedis } from '../../helpers/services'
import { collect, runEventsConformance } from '../../unit/run_events/run_events_conformance'

describeWithRedis('RedisRunEvents', () => {
  let redis: RedisManager
  beforeAll(() => {
    redis = new RedisManager({ url: REDIS_URL, prefix: 'test:' })
  })
  afterAll(async () => {
    const connection = redis.connection()
    const keys = await connection.keys('test:run-events-*')
    if (keys.length > 0) await connection.del(...keys)
    await redis.close()
  })

  // A fresh key prefix per log: no test sees another's streams.
  runEventsConformance(async (options) => new RedisRunEvents({ ...options, connection: redis.connection(), prefix: `test:run-events-${randomUUID()}:`, blockMs: 200 }))

  it('stores a run as one stream whose ids are the entry ids, expiring after the retention once ended', async () => {
    const log = new RedisRunEvents({ connection: redis.connection(), prefix: `test:run-events-${randomUUID()}:`, retentionSeconds: 120, idleTtlSeconds: 3600 })
    const key = log.key('run-1')
    const id = await log.append('run-1', { event: 'values', data: { a: 1 } })
    const connection = redis.connection()
    expect(await connection.pttl(key)).toBeGreaterThan(3_500_000)
    const entries = await connection.xrange(key, '-', '+')
    expect(entries[0][0]).toBe(id)
    await log.end('run-1')
    const ttl = await connection.pttl(key)
    expect(ttl).toBeGreaterThan(100_000)
    expect(ttl).toBeLessThanOrEqual(120_000)
    await log.close()
  })

  it('follows many runs on one shared blocking connection, each reader getting its own run\'s events', async () => {
    const log = new RedisRunEvents({ connection: redis.connection(), prefix: `test:run-events-${randomUUID()}:`, blockMs: 2000 })
    const runs = Array.from({ length: 6 }, (_, n) => `run-${n}`)
    const readings = runs.map((id) => collect(log.read(id)))
    await new Promise((resolve) => setTimeout(resolve, 100))
    // Readers arriving while the XREAD is blocked are added to it at once (CLIENT UNBLOCK), not after the block ends.
    const late = collect(log.read('run-late'))
    await new Promise((resolve) => setTimeout(resolve, 50))
    for (const id of [...runs, 'run-late']) {
      await log.append(id, { event: 'values', data: id })
      await log.end(id)
    }
    expect((await Promise.all(readings)).map((events) => events.map((event) => event.data))).toEqual(runs.map((id) => [id]))
    expect((await late).map((event) => event.data)).toEqual(['run-late'])
    expect((log as unknown as { watcher: { connections: number } }).watcher.connections).toBe(1)
    await log.close()
  })

  it('accepts a Last-Event-ID with leading zeros as the same id', async () => {
    const log = new RedisRunEvents({ connection: redis.connection(), prefix: `test:run-events-${randomUUID()}:` })
    const first = await log.append('run', { event: 'values', data: 1 })
    await log.append('run', { event: 'values', data: 2 })
    await log.end('run')
    const [ms, seq] = first.split('-')
    expect((await collect(log.read('run', { after: `00${ms}-0${seq}` }))).map((event) => event.data)).toEqual([2])
    await log.close()
  })

  it('answers E_SERVICE_UNAVAILABLE when Redis cannot be reached', async () => {
    const down = new RedisManager({ url: 'redis://127.0.0.1:1/0', prefix: 'test:', commandTimeoutMs: 200 })
    const log = new RedisRunEvents({ connection: down.connection(), prefix: 'test:run-events-down:' })
    await expect(log.append('run', { event: 'values', data: 1 })).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE', status: 503 })
    await expect(collect(log.read('run'))).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE' })
    // ready() says so before a response starts, and gives the slot it took back.
    const reader = log.read('run')
    await expect(reader.ready()).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE', status: 503 })
    expect((log as unknown as { followers: { size: number } }).followers.size).toBe(0)
    await log.close()
    await down.close()
  })
})
