import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

export default defineConfig({
  env: {
    LOG_LEVEL: env.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'], 'info'),
    /** Empty means the format follows APP_ENV: json in production, pretty otherwise. */
    LOG_FORMAT: env.optionalEnum(['json', 'pretty']),
    LOG_FILE: env.optionalString(),
  },
  resolve: (e) => ({
    level: e.LOG_LEVEL,
    format: e.LOG_FORMAT,
    file: e.LOG_FILE,
  }),
})
