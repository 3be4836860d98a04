import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

export default defineConfig({
  env: {
    APP_NAME: env.string('langvel'),
    APP_ENV: env.enum(['development', 'production', 'test'], 'development'),
    DEBUG: env.boolean(false),
  },
  resolve: (e) => ({
    name: e.APP_NAME,
    env: e.APP_ENV,
    debug: e.DEBUG,
  }),
  check: (config, { appEnv }) =>
    appEnv === 'production' && config.debug
      ? [{ key: 'DEBUG', message: 'DEBUG=true in production exposes internal error messages to clients', severity: 'warning' }]
      : [],
})
