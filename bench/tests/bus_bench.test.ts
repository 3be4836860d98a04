import { randomUUID } from 'node:crypto'
import { Registry } from 'prom-client'
import { busMetrics } from '../../framework/bus/bus_metrics'
import { MemoryBus } from '../../framework/bus/memory_bus'
import { RedisBus } from '../../framework/bus/redis_bus'
import { RedisBusKeys } from '../../framework/bus/redis_bus_keys'
import { RedisManager } from '../../framework/redis/redis_manager'
import { REDIS_URL, describeWithRedis } from '../../tests/helpers/services'
import { parseBusBenchArgs } from '../bus_bench'
import { benchMessage, flood, type BusTarget } from '../bus_phases'
import { DeliveryLedger } from '../harness/delivery_ledger'
import { deleteRedisKeys } from '../harness/redis_cleanup'
import { PeakSampler } from '../harness/peak_sampler'
import { median } from '../harness/percentiles'

const NOW = new Date('2026-01-02T03:04:05.678Z')

describe('parseBusBenchArgs', () => {
  it('defaults to both drivers, 3 rounds of 3 s, 256-byte messages and the bus defaults for the bound', () => {
    expect(parseBusBenchArgs([], NOW)).toEqual({
      name: 'bus-2026-01-02T03-04-05-678Z',
      drivers: ['memory', 'redis'],
      seconds: 3,
      rounds: 3,
      size: 256,
      maxQueue: 1000,
      onFull: 'wait',
      publishTimeoutMs: 5000,
      slowMs: 5,
      concurrency: 8,
      redisUrl: 'redis://127.0.0.1:6379/15',
      json: false,
      help: false,
    })
  })

  it('reads every flag', () => {
    const options = parseBusBenchArgs(
      ['--driver', 'redis', '--seconds', '2', '--rounds', '5', '--size', '4096', '--max-queue', '50', '--on-full', 'refuse', '--publish-timeout', '0', '--slow-ms', '20', '--concurrency', '1', '--redis', 'redis://10.0.0.1:6380/2', '--json', '--name', 'nightly'],
      NOW,
    )
    expect(options).toEqual({
      name: 'nightly',
      drivers: ['redis'],
      seconds: 2,
      rounds: 5,
      size: 4096,
      maxQueue: 50,
      onFull: 'refuse',
      publishTimeoutMs: 0,
      slowMs: 20,
      concurrency: 1,
      redisUrl: 'redis://10.0.0.1:6380/2',
      json: true,
      help: false,
    })
    expect(parseBusBenchArgs(['--driver', 'memory']).drivers).toEqual(['memory'])
  })

  it('refuses an unknown driver or mode, a bad number, a bad URL, an unknown flag and a stray argument, naming them', () => {
    expect(() => parseBusBenchArgs(['--driver', 'kafka'])).toThrow('--driver "kafka"')
    expect(() => parseBusBenchArgs(['--on-full', 'drop'])).toThrow('--on-full "drop"')
    expect(() => parseBusBenchArgs(['--seconds', '0'])).toThrow('--seconds "0"')
    expect(() => parseBusBenchArgs(['--max-queue', '1.5'])).toThrow('--max-queue "1.5"')
    expect(() => parseBusBenchArgs(['--size', 'big'])).toThrow('--size "big"')
    expect(() => parseBusBenchArgs(['--redis', 'localhost:6379'])).toThrow('--redis "localhost:6379"')
    expect(() => parseBusBenchArgs(['--duration', '3'])).toThrow(/duration/)
    expect(() => parseBusBenchArgs(['memory'])).toThrow('unexpected argument: memory')
  })
})

describe('benchMessage', () => {
  it('is as long as asked once serialised, whatever its sequence number', () => {
    for (const n of [0, 7, 123_456]) {
      expect(JSON.stringify(benchMessage(n, 256))).toHaveLength(256)
      expect(JSON.stringify(benchMessage(n, 10_000))).toHaveLength(10_000)
    }
  })

  it('is as short as it can be when asked for less', () => {
    expect(benchMessage(42, 1)).toEqual({ n: 42, pad: '' })
  })
})

describe('DeliveryLedger', () => {
  it('reports exactly once when every accepted message was delivered once and nothing else was', () => {
    const ledger = new DeliveryLedger()
    for (let n = 0; n < 3000; n++) ledger.published(n, n % 3 === 0 ? 'refused' : 'accepted')
    for (let n = 0; n < 3000; n++) if (n % 3 !== 0) ledger.delivered(n)
    expect(ledger.accepted).toBe(2000)
    expect(ledger.reached).toBe(2000)
    expect(ledger.report()).toEqual({ published: 3000, accepted: 2000, refused: 1000, failed: 0, deliveries: 2000, missing: 0, duplicated: 0, unexpected: 0, exactlyOnce: true })
  })

  it('counts the accepted messages never delivered, those delivered twice and deliveries of refused messages', () => {
    const ledger = new DeliveryLedger()
    ;['accepted', 'accepted', 'accepted', 'refused', 'failed'].forEach((outcome, n) => ledger.published(n, outcome as 'accepted'))
    ledger.delivered(1)
    ledger.delivered(2)
    ledger.delivered(2)
    ledger.delivered(3)
    ledger.delivered(4)
    expect(ledger.report()).toMatchObject({ accepted: 3, refused: 1, failed: 1, deliveries: 5, missing: 1, duplicated: 1, unexpected: 1, exactlyOnce: false })
  })

  it('counts a delivery that arrives before its publish settles', () => {
    const ledger = new DeliveryLedger()
    ledger.delivered(5)
    ledger.published(5, 'accepted')
    expect(ledger.report()).toMatchObject({ published: 1, missing: 0, exactlyOnce: true })
  })

  it('refuses a sequence number published twice or not a whole number', () => {
    const ledger = new DeliveryLedger()
    ledger.published(0, 'accepted')
    expect(() => ledger.published(0, 'refused')).toThrow(RangeError)
    expect(() => ledger.delivered(-1)).toThrow(RangeError)
    expect(() => ledger.delivered(1.5)).toThrow(RangeError)
  })
})

describe('PeakSampler', () => {
  it('keeps the highest reading, counts failed readings and takes a last one when stopped', async () => {
    const readings = [3, 9, 4]
    const sampler = new PeakSampler(() => {
      const value = readings.shift()
      if (value === undefined) throw new Error('gone')
      return value
    }, 60_000)
    await sampler.sample()
    await sampler.sample()
    expect(await sampler.stop()).toEqual({ peak: 9, samples: 3, failures: 0 })
    expect(await sampler.stop()).toEqual({ peak: 9, samples: 3, failures: 1 })
  })

  it('has no peak when no reading succeeded', async () => {
    const sampler = new PeakSampler(() => Promise.reject(new Error('down')), 60_000)
    expect(await sampler.stop()).toEqual({ peak: null, samples: 0, failures: 1 })
  })
})

describe('median', () => {
  it('is the middle figure, or the mean of the two middle ones', () => {
    expect(median([])).toBe(0)
    expect(median([5])).toBe(5)
    expect(median([9, 1, 5])).toBe(5)
    expect(median([3, 1, 2, 10])).toBe(2.5)
  })
})

describe('the flood on the memory bus', () => {
  const memory: BusTarget = {
    driver: 'memory',
    create: (options) => {
      const metrics = busMetrics(new Registry())
      return { bus: new MemoryBus({ ...options, metrics }), metrics }
    },
  }

  it('counts the publishes that waited, keeps the queue within its bound and delivers every accepted message once', async () => {
    const result = await flood(memory, { seconds: 0.3, size: 64, maxQueue: 5, onFull: 'wait', publishTimeoutMs: 5000, slowMs: 2 })
    expect(result.depthPeak).toBeLessThanOrEqual(5)
    expect(result.boundRespected).toBe(true)
    expect(result.waited).toBeGreaterThan(0)
    expect(result.refused).toBe(0)
    expect(result.delivery).toMatchObject({ missing: 0, duplicated: 0, unexpected: 0, exactlyOnce: true })
    expect(result.delivery.accepted).toBe(result.delivery.published)
  })

  it('in refuse mode, counts refusals and no waits, and delivers none of the refused messages', async () => {
    const result = await flood(memory, { seconds: 0.3, size: 64, maxQueue: 5, onFull: 'refuse', publishTimeoutMs: 5000, slowMs: 2 })
    expect(result.waited).toBe(0)
    expect(result.refused).toBeGreaterThan(0)
    expect(result.refused).toBe(result.delivery.refused)
    expect(result.delivery).toMatchObject({ missing: 0, duplicated: 0, unexpected: 0, exactlyOnce: true })
  })
})

describeWithRedis('the flood on the redis bus', () => {
  const prefix = `test:bench-bus-${randomUUID()}:`
  let redis: RedisManager

  beforeAll(() => {
    redis = new RedisManager({ url: REDIS_URL, prefix })
  })
  afterAll(async () => {
    await deleteRedisKeys(REDIS_URL, prefix)
    await redis.close()
  })

  it('counts the publishes that waited, keeps the stream within its bound and delivers every accepted message once', async () => {
    const connection = redis.connection()
    const keys = new RedisBusKeys(prefix)
    const target: BusTarget = {
      driver: 'redis',
      create: (options) => {
        const metrics = busMetrics(new Registry())
        return { bus: new RedisBus({ ...options, connection, prefix, blockMs: 100, metrics }), metrics }
      },
      storedLength: (topic) => connection.xlen(keys.stream(topic)),
    }
    const result = await flood(target, { seconds: 0.5, size: 64, maxQueue: 5, onFull: 'wait', publishTimeoutMs: 5000, slowMs: 5 })
    expect(result.storedPeak).toBeLessThanOrEqual(5)
    expect(result.boundRespected).toBe(true)
    expect(result.waited).toBeGreaterThan(0)
    expect(result.delivery).toMatchObject({ missing: 0, duplicated: 0, unexpected: 0, exactlyOnce: true })
  })
})
