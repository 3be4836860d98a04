import { z } from 'zod'
import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

/**
 * The development playground at /_langvel (docs/playground.md): the agent
 * routes, their graphs, runs and streams, threads and run traces in a browser.
 * On by default in development only; in production it is 404 unless
 * PLAYGROUND_ENABLED=true, and then every request to it needs `auth`.
 */
export default defineConfig({
  env: {
    /** Unset: on when APP_ENV=development, off otherwise. On, tracing records spans in memory for the page (no collector needed). */
    PLAYGROUND_ENABLED: z.stringbool({ error: 'expected a boolean (true/false, 1/0, yes/no, on/off)' }).optional(),
    /** How many recent traces the page can show (kept in memory, per process). */
    PLAYGROUND_TRACES: env.integer(50, 1, 1000),
  },
  resolve: (e) => ({
    enabled: e.PLAYGROUND_ENABLED,
    traces: e.PLAYGROUND_TRACES,
  }),
  check: (config, { appEnv }) =>
    appEnv === 'production' && config.enabled === true
      ? [{ key: 'PLAYGROUND_ENABLED', message: 'serves the playground in production (behind auth); it shows thread state and traces to any authenticated caller', severity: 'warning' }]
      : [],
})
