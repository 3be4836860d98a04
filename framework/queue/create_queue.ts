import type { RunQueue } from '../contracts/run_queue'
import { E_UNKNOWN_DRIVER } from '../errors'
import type { Logger } from '../logger'
import { BullmqQueue } from './bullmq_queue'
import { QUEUE_DRIVERS, type QueueOptions } from './queue_options'
import { SyncQueue } from './sync_queue'

export interface CreateQueueOptions {
  config: Partial<QueueOptions> & { driver: string }
  /** The redis config (REDIS_URL, REDIS_PREFIX); asked only for the bullmq driver. */
  redis: () => { url: string; prefix: string }
  logger?: Logger
}

/**
 * The configured run queue (QUEUE_DRIVER): sync in-process, or bullmq on
 * REDIS_URL under REDIS_PREFIX; a typo is E_UNKNOWN_DRIVER.
 *
 * @example
 * const queue = createQueue({ config: app.config.get('queue'), redis: () => app.config.get('redis') })
 */
export function createQueue({ config, redis, logger }: CreateQueueOptions): RunQueue {
  const { driver, ...options } = config
  switch (driver) {
    case 'sync':
      return new SyncQueue({ ...options, logger })
    case 'bullmq': {
      const { url, prefix } = redis()
      return new BullmqQueue({ ...options, url, prefix, logger })
    }
    default:
      throw new E_UNKNOWN_DRIVER('queue', driver, [...QUEUE_DRIVERS])
  }
}
