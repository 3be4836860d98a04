import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

export default defineConfig({
  env: {
    /** Empty means the embedded SQLite file storage/database.sqlite. */
    DATABASE_URL: env.url(['postgres', 'postgresql', 'sqlite', 'file']).optional(),
    DATABASE_POOL_MIN: env.integer(0, 0, 100),
    DATABASE_POOL_MAX: env.integer(10, 1, 1000),
  },
  secrets: ['DATABASE_URL'],
  resolve: (e) => ({
    url: e.DATABASE_URL,
    pool: { min: e.DATABASE_POOL_MIN, max: e.DATABASE_POOL_MAX },
  }),
  check: (config) =>
    config.pool.min > config.pool.max
      ? [{ key: 'DATABASE_POOL_MIN', message: `must not exceed DATABASE_POOL_MAX (${config.pool.max})`, severity: 'error' }]
      : [],
})
