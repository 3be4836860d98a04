import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

export default defineConfig({
  env: {
    RATE_LIMIT_REQUESTS: env.integer(60, 1, 1_000_000),
    RATE_LIMIT_WINDOW: env.integer(60, 1, 86_400),
    RATE_LIMIT_DRIVER: env.enum(['memory', 'redis'], 'memory'),
    RATE_LIMIT_FAIL_OPEN: env.boolean(true),
    RATE_LIMIT_MEMORY_MAX_KEYS: env.integer(10_000, 1, 10_000_000),
  },
  resolve: (e) => ({
    requests: e.RATE_LIMIT_REQUESTS,
    windowSeconds: e.RATE_LIMIT_WINDOW,
    driver: e.RATE_LIMIT_DRIVER,
    failOpen: e.RATE_LIMIT_FAIL_OPEN,
    memoryMaxKeys: e.RATE_LIMIT_MEMORY_MAX_KEYS,
  }),
})
