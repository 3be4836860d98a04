import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

export default defineConfig({
  env: {
    RATE_LIMIT_REQUESTS: env.integer(60, 1, 1_000_000),
    RATE_LIMIT_WINDOW: env.integer(60, 1, 86_400),
  },
  resolve: (e) => ({
    requests: e.RATE_LIMIT_REQUESTS,
    windowSeconds: e.RATE_LIMIT_WINDOW,
  }),
})
