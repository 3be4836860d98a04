import { Registry } from 'prom-client'
import { busMetrics } from '../../../framework/bus/bus_metrics'
import { RedisBus } from '../../../framework/bus/redis_bus'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { RedisServer } from '../../helpers/redis_server'
import { describeWithRedis } from '../../helpers/services'
import { eventually } from '../../unit/bus/bus_conformance'

describeWithRedis('RedisBus when its Redis goes away', () => {
  let server: RedisServer
  let manager: RedisManager
  let bus: RedisBus

  beforeAll(async () => {
    server = await RedisServer.start()
  })
  afterEach(async () => {
    await bus?.close()
    await manager?.close()
    if (!server.running) await server.restart()
  })
  afterAll(() => server.stop())

  it('fails publishes with E_SERVICE_UNAVAILABLE while it is down, and a subscription receives again once it is back', async () => {
    manager = new RedisManager({ url: server.url, prefix: 'outage:', reconnectMaxDelayMs: 50 })
    bus = new RedisBus({ connection: manager.connection(), prefix: 'outage:', blockMs: 100, drainTimeoutMs: 500, metrics: busMetrics(new Registry()) })
    const got: number[] = []
    await bus.subscribe<number, void>('events', (n) => void got.push(n), { group: 'listeners' })
    await bus.publish('events', 1)
    await eventually(() => expect(got).toEqual([1]))

    await server.kill()
    await expect(bus.publish('events', 2)).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE' })

    // Back, and empty: the subscription makes its group again and reads on.
    await server.restart()
    await eventually(async () => {
      await bus.publish('events', 3)
      await eventually(() => expect(got).toContain(3), 1000)
    }, 15_000)
    expect(got[0]).toBe(1)
    expect(got).not.toContain(2)
  })
})
