import { randomUUID } from 'node:crypto'
import { RedisBus } from '../../../framework/bus/redis_bus'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { REDIS_URL, describeWithRedis } from '../../helpers/services'
import { busConformance } from '../../unit/bus/bus_conformance'

describeWithRedis('RedisBus', () => {
  let redis: RedisManager
  beforeAll(() => {
    redis = new RedisManager({ url: REDIS_URL, prefix: 'test:' })
  })
  afterAll(async () => {
    const connection = redis.connection()
    const keys = await connection.keys('test:bus-*')
    if (keys.length > 0) await connection.del(...keys)
    await redis.close()
  })

  // A fresh key prefix per bus: no test sees another's streams or groups.
  busConformance(async (options) =>
    new RedisBus({ ...options, connection: redis.connection(), prefix: `test:bus-${randomUUID()}:`, blockMs: 100 }),
  )
})
