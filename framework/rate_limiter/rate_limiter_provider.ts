import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { getMetrics } from '../observability/metrics'
import { MemoryStore } from './memory_store'
import { RateLimiter } from './rate_limiter'
import { RedisStore } from './redis_store'

declare module '../foundation/application' {
  interface ContainerBindings {
    rateLimiter: RateLimiter
  }
}

/**
 * Creates the application's RateLimiter from config/rate_limit.ts: the memory
 * or Redis store, fail open or closed, the `throttle` defaults, and its
 * counters on the shared metrics registry.
 *
 * @example
 * const limiter = createRateLimiter(app)
 */
export function createRateLimiter(app: Application): RateLimiter {
  const config = app.config.get('rate_limit')
  const logger = app.logger.child({ logger: 'rate_limiter' })
  const workers = app.config.has('server') ? app.config.get('server').workers : 1
  if (config.driver === 'memory' && app.isProduction && workers > 1) {
    logger.warn(`RATE_LIMIT_DRIVER=memory with ${workers} workers: each counts on its own, so clients get up to ${workers} times the limit. Use redis`)
  }
  const store =
    config.driver === 'redis'
      ? new RedisStore(() => app.make('redis').connection(), { prefix: app.config.get('redis').prefix })
      : new MemoryStore({ maxKeys: config.memoryMaxKeys })
  return new RateLimiter({
    store,
    failOpen: config.failOpen,
    defaults: { requests: config.requests, windowSeconds: config.windowSeconds },
    logger,
    registry: getMetrics().registry,
  })
}

/**
 * Binds `rateLimiter`. Nothing connects until the first hit; the Redis
 * connection belongs to the redis provider, which closes it.
 *
 * @example
 * const result = await app.make('rateLimiter').attempt('export:ada', 3, 3600)
 */
export const rateLimiterProvider: Provider = {
  name: 'rate_limiter',
  register(app: Application) {
    app.singleton('rateLimiter', () => createRateLimiter(app))
  },
}
