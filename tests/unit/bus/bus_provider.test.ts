import { join } from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { Agent } from '../../../framework/agents/agent'
import { MemoryBus } from '../../../framework/bus/memory_bus'
import { RedisBus } from '../../../framework/bus/redis_bus'
import { createBus } from '../../../framework/bus/create_bus'
import { resolveBus } from '../../../framework/bus/bus_runtime'
import { BUS_DEFAULTS } from '../../../framework/bus/bus_options'
import { discoverConfigFiles, loadConfig } from '../../../framework/config'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createLogger } from '../../../framework/logger'
import { RedisManager } from '../../../framework/redis/redis_manager'

const silent = createLogger({ silent: true })
const definitions = discoverConfigFiles(join(__dirname, '..', '..', '..', 'config'))

describe('config/bus.ts', () => {
  it('defaults to the memory driver with a bounded queue that makes publishers wait', () => {
    expect(loadConfig(definitions, {}).values.bus).toEqual({ driver: 'memory', ...BUS_DEFAULTS })
  })

  it('refuses an unknown driver or full policy, and a retry ceiling below its base, at boot', () => {
    try {
      loadConfig(definitions, { BUS_DRIVER: 'kafka', BUS_ON_FULL: 'drop', BUS_MAX_QUEUE: '0', BUS_RETRY_BASE_MS: '500', BUS_RETRY_MAX_MS: '100' })
      throw new Error('expected E_INVALID_CONFIG')
    } catch (error) {
      expect(error).toMatchObject({ code: 'E_INVALID_CONFIG' })
      const keys = (error as { details: Array<{ key: string }> }).details.map((problem) => problem.key)
      expect(keys).toEqual(expect.arrayContaining(['BUS_DRIVER', 'BUS_ON_FULL', 'BUS_MAX_QUEUE']))
    }
    try {
      loadConfig(definitions, { BUS_RETRY_BASE_MS: '500', BUS_RETRY_MAX_MS: '100' })
      throw new Error('expected E_INVALID_CONFIG')
    } catch (error) {
      expect((error as { details: Array<{ key: string }> }).details.map((problem) => problem.key)).toEqual(['BUS_RETRY_MAX_MS'])
    }
  })
})

describe('createBus', () => {
  const config = { ...BUS_DEFAULTS, driver: 'memory' }
  it('builds the configured driver, asking for Redis only for the redis driver', async () => {
    const redis = jest.fn(() => new RedisManager({ url: 'redis://127.0.0.1:1', prefix: 'x:' }))
    const memory = createBus({ config, redis })
    expect(memory).toBeInstanceOf(MemoryBus)
    expect(redis).not.toHaveBeenCalled()
    const manager = new RedisManager({ url: 'redis://127.0.0.1:1', prefix: 'x:' })
    const onRedis = createBus({ config: { ...config, driver: 'redis' }, redis: () => manager })
    expect(onRedis).toBeInstanceOf(RedisBus)
    await Promise.all([memory.close(), onRedis.close(), manager.close()])
  })

  it('turns a Redis that cannot be reached into E_SERVICE_UNAVAILABLE on the redis driver', async () => {
    const manager = new RedisManager({ url: 'redis://127.0.0.1:1', prefix: 'x:', commandTimeoutMs: 500 })
    const bus = createBus({ config: { ...config, driver: 'redis' }, redis: () => manager })
    await expect(bus.publish('orders', 1)).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE' })
    await expect(bus.subscribe('orders', () => undefined)).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE' })
    await expect(bus.depth('orders')).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE' })
    await expect(bus.deadLetters('orders')).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE' })
    await bus.close()
    await manager.close()
  })

  it('names a misspelt driver with E_UNKNOWN_DRIVER', () => {
    expect(() => createBus({ config: { ...config, driver: 'memroy' }, redis: jest.fn() })).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_DRIVER' }))
  })
})

describe('the bus provider', () => {
  let base: string
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'langvel-bus-'))
  })
  afterEach(() => rmSync(base, { recursive: true, force: true }))

  it('binds `bus`, reachable from agents as this.bus, and shutdown drains the handlers in flight before closing', async () => {
    const app = await Application.create({ basePath: base, env: { BUS_DRIVER: 'memory' }, providers: defaultProviders(), logger: silent }).boot()
    const bus = app.make('bus')
    expect(bus.driver).toBe('memory')
    expect(resolveBus()).toBe(bus)
    const getter = Object.getOwnPropertyDescriptor(Agent.prototype, 'bus')?.get
    expect(getter?.call({})).toBe(bus)

    let finished = false
    let started = false
    await bus.subscribe('shutdown', async () => {
      started = true
      await new Promise((resolve) => setTimeout(resolve, 200))
      finished = true
    })
    await bus.publish('shutdown', 1)
    while (!started) await new Promise((resolve) => setTimeout(resolve, 5))
    await app.shutdown()
    expect(finished).toBe(true)
    await expect(bus.publish('shutdown', 2)).rejects.toMatchObject({ code: 'E_BUS_CLOSED' })
    expect(() => resolveBus()).toThrow(expect.objectContaining({ code: 'E_RUNTIME' }))
  })
})
