import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

export default defineConfig({
  env: {
    /** Empty: /metrics is open (bind the server to a private interface or protect it at the proxy). */
    METRICS_TOKEN: env.optionalString(),
  },
  secrets: ['METRICS_TOKEN'],
  resolve: (e) => ({
    token: e.METRICS_TOKEN,
  }),
})
