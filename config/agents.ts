import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

export default defineConfig({
  env: {
    AGENT_DURABILITY: env.enum(['async', 'sync', 'exit'], 'async'),
  },
  resolve: (e) => ({
    durability: e.AGENT_DURABILITY,
  }),
})
