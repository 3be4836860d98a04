import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

export default defineConfig({
  env: {
    REDIS_URL: env.url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
    REDIS_PREFIX: env.string('langvel:'),
  },
  secrets: ['REDIS_URL'],
  resolve: (e) => ({
    url: e.REDIS_URL,
    prefix: e.REDIS_PREFIX,
  }),
})
