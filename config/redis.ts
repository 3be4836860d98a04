import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import { REDIS_DEFAULTS } from '../framework/redis/redis_manager'

export default defineConfig({
  env: {
    REDIS_URL: env.url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
    REDIS_PREFIX: env.string('langvel:'),
    REDIS_COMMAND_TIMEOUT_MS: env.integer(REDIS_DEFAULTS.commandTimeoutMs, 1, 60_000),
    REDIS_RECONNECT_MAX_DELAY_MS: env.integer(REDIS_DEFAULTS.reconnectMaxDelayMs, 10, 60_000),
  },
  secrets: ['REDIS_URL'],
  resolve: (e) => ({
    url: e.REDIS_URL,
    prefix: e.REDIS_PREFIX,
    commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    reconnectMaxDelayMs: e.REDIS_RECONNECT_MAX_DELAY_MS,
  }),
})
