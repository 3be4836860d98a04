import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

export default defineConfig({
  env: {
    STATE_CHECKPOINTER: env.enum(['memory', 'sqlite', 'postgres', 'redis'], 'sqlite'),
    CHECKPOINT_SQLITE_PATH: env.string('storage/checkpoints.sqlite'),
    CHECKPOINT_REDIS_TTL: env.duration('7d'),
  },
  resolve: (e) => ({
    default: e.STATE_CHECKPOINTER,
    sqlitePath: e.CHECKPOINT_SQLITE_PATH,
    redisTtlSeconds: e.CHECKPOINT_REDIS_TTL,
  }),
})
