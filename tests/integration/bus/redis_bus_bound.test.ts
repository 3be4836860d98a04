import { randomUUID } from 'node:crypto'
import { Registry } from 'prom-client'
import { busMetrics } from '../../../framework/bus/bus_metrics'
import type { BusOptions } from '../../../framework/bus/bus_options'
import { RedisBus } from '../../../framework/bus/redis_bus'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { REDIS_URL, describeWithRedis } from '../../helpers/services'
import { eventually, gate } from '../../unit/bus/bus_conformance'

describeWithRedis('RedisBus stream bound', () => {
  let redis: RedisManager
  let prefix: string
  const buses: RedisBus[] = []

  const bus = (options: Partial<BusOptions> = {}) => {
    const created = new RedisBus({ retryBaseMs: 5, ...options, connection: redis.connection(), prefix, blockMs: 100, metrics: busMetrics(new Registry()) })
    buses.push(created)
    return created
  }
  const stream = (topic: string) => `${prefix}bus:stream:${topic}`

  beforeAll(() => {
    redis = new RedisManager({ url: REDIS_URL, prefix: 'test:' })
  })
  beforeEach(() => {
    prefix = `test:bus-${randomUUID()}:`
  })
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((created) => created.close()))
    const keys = await redis.connection().keys(`${prefix}*`)
    if (keys.length > 0) await redis.connection().del(...keys)
  })
  afterAll(() => redis.close())

  it('never trims an entry a group has not acknowledged, though later ones were: it counts toward the bound until acknowledged', async () => {
    const here = bus({ maxQueue: 5, onFull: 'refuse' })
    const stuck = gate()
    const done: number[] = []
    await here.subscribe<number, void>('audit', (n) => void done.push(n), { group: 'fast' })
    await here.subscribe<number, void>(
      'audit',
      async (n) => {
        if (n === 0) await stuck.wait
        done.push(100 + n)
      },
      { group: 'slow', concurrency: 2 },
    )
    await here.publish('audit', 0)
    const [[firstId]] = (await redis.connection().xrange(stream('audit'), '-', '+')) as Array<[string, string[]]>
    for (let n = 1; n < 5; n++) {
      await here.publish('audit', n)
      await eventually(() => expect(done).toContain(100 + n))
    }
    // Every group has handled 1..4; "slow" still holds 0, so the stream keeps it and all after it.
    await expect(here.publish('audit', 5)).rejects.toMatchObject({ code: 'E_BUS_FULL' })
    const kept = (await redis.connection().xrange(stream('audit'), '-', '+')) as Array<[string, string[]]>
    expect(kept[0][0]).toBe(firstId)
    expect(kept).toHaveLength(5)
    stuck.open()
    await eventually(() => expect(done).toContain(100))
    await eventually(async () => expect(await here.depth('audit')).toBe(0))
    expect(await redis.connection().xlen(stream('audit'))).toBe(0)
    await here.publish('audit', 5)
  })

  it('drops the group of an unnamed subscriber whose process died (alive key gone), but keeps a named group without consumers', async () => {
    const here = bus({ maxQueue: 2, onFull: 'refuse' })
    await redis.connection().xgroup('CREATE', stream('gone'), '~dead-subscriber', '$', 'MKSTREAM')
    for (let n = 0; n < 5; n++) await here.publish('gone', n)
    expect(await redis.connection().xinfo('GROUPS', stream('gone'))).toEqual([])

    await redis.connection().xgroup('CREATE', stream('kept'), 'billing', '$', 'MKSTREAM')
    await here.publish('kept', 0)
    await here.publish('kept', 1)
    await expect(here.publish('kept', 2)).rejects.toMatchObject({ code: 'E_BUS_FULL' })
    // A worker of the group that starts later gets what waited for it.
    const got: number[] = []
    await here.subscribe<number, void>('kept', (n) => void got.push(n), { group: 'billing' })
    await eventually(() => expect(got).toEqual([0, 1]))
  })

  it('dead-letters, without running its handler, an entry delivered more than BUS_MAX_ATTEMPTS times to consumers that died', async () => {
    const connection = redis.connection()
    const here = bus({ maxAttempts: 2, claimIdleMs: 100 })
    await connection.xgroup('CREATE', stream('poison'), 'workers', '$', 'MKSTREAM')
    await here.publish('poison', { kills: 'consumers' })
    // Two consumers took it and died: it sits in the group's pending list, delivered twice.
    await connection.xreadgroup('GROUP', 'workers', 'ghost-1', 'COUNT', 1, 'STREAMS', stream('poison'), '>')
    const [[id]] = (await connection.xrange(stream('poison'), '-', '+')) as Array<[string, string[]]>
    await connection.xclaim(stream('poison'), 'workers', 'ghost-2', 0, id)
    let ran = 0
    await here.subscribe('poison', () => void (ran += 1), { group: 'workers' })
    await eventually(async () => expect(await here.deadLetters('poison')).toHaveLength(1))
    const [dead] = await here.deadLetters('poison')
    expect(dead).toMatchObject({ id, group: 'workers', payload: { kills: 'consumers' }, attempts: 2, error: expect.stringContaining('delivered 3 times') })
    expect(ran).toBe(0)
    expect(((await connection.xpending(stream('poison'), 'workers')) as unknown[])[0]).toBe(0)
  })

  it('keeps a slow handler’s entry from being reclaimed while it runs', async () => {
    const here = bus({ claimIdleMs: 200 })
    const slow = gate()
    const runs: number[] = []
    for (const worker of [0, 1]) {
      await here.subscribe(
        'long',
        async () => {
          runs.push(worker)
          await slow.wait
        },
        { group: 'workers' },
      )
    }
    await here.publish('long', 1)
    await eventually(() => expect(runs).toHaveLength(1))
    // Several claim idle times pass: the running consumer touches its entry, so nobody takes it over.
    await new Promise((done) => setTimeout(done, 1000))
    expect(runs).toHaveLength(1)
    slow.open()
  })
})
