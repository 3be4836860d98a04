import type { RunEventLog } from '../contracts/run_events'
import { E_UNKNOWN_DRIVER } from '../errors'
import type { RedisManager } from '../redis/redis_manager'
import { MemoryRunEvents } from './memory_run_events'
import { RedisRunEvents } from './redis_run_events'
import { RUN_EVENT_DRIVERS, type RunEventsOptions } from './run_events_options'

export interface CreateRunEventsOptions {
  config: RunEventsOptions & { driver: string }
  /** Asked only for the redis driver, so the memory log never loads ioredis. */
  redis: () => RedisManager
}

/**
 * The configured driver (RUN_EVENTS_DRIVER): memory, or redis on the redis
 * manager's connection and REDIS_PREFIX; a typo is E_UNKNOWN_DRIVER.
 *
 * @example
 * const log = createRunEvents({ config: app.config.get('run_events'), redis: () => app.make('redis') })
 */
export function createRunEvents({ config, redis }: CreateRunEventsOptions): RunEventLog {
  const { driver, ...options } = config
  switch (driver) {
    case 'memory':
      return new MemoryRunEvents(options)
    case 'redis': {
      const manager = redis()
      return new RedisRunEvents({ ...options, connection: manager.connection('run-events'), prefix: manager.options.prefix })
    }
    default:
      throw new E_UNKNOWN_DRIVER('run events', driver, [...RUN_EVENT_DRIVERS])
  }
}
