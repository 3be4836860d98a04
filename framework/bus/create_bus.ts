import type { MessageBus } from '../contracts/bus'
import { E_UNKNOWN_DRIVER } from '../errors'
import type { Logger } from '../logger'
import type { RedisManager } from '../redis/redis_manager'
import { BUS_DRIVERS, type BusOptions } from './bus_options'
import { MemoryBus } from './memory_bus'
import { RedisBus } from './redis_bus'

export interface CreateBusOptions {
  config: BusOptions & { driver: string }
  /** Asked only for the redis driver, so a memory bus never loads ioredis. */
  redis: () => RedisManager
  logger?: Logger
}

/**
 * The configured driver (BUS_DRIVER): memory, or redis on the redis
 * manager's connection and REDIS_PREFIX; a typo is E_UNKNOWN_DRIVER.
 *
 * @example
 * const bus = createBus({ config: app.config.get('bus'), redis: () => app.make('redis') })
 */
export function createBus({ config, redis, logger }: CreateBusOptions): MessageBus {
  const { driver, ...options } = config
  switch (driver) {
    case 'memory':
      return new MemoryBus({ ...options, logger })
    case 'redis': {
      const manager = redis()
      return new RedisBus({ ...options, connection: manager.connection('bus'), prefix: manager.options.prefix, logger })
    }
    default:
      throw new E_UNKNOWN_DRIVER('bus', driver, [...BUS_DRIVERS])
  }
}
