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
    /** Unset: on when APP_ENV=development, off otherwise. On, a server records its agent runs' traces in memory for the page (no collector needed). */
    PLAYGROUND_ENABLED: z.stringbool({ error: 'expected a boolean (true/false, 1/0, yes/no, on/off)' }).optional(),
    /** How many recent agent runs' traces the page can show (kept in memory, per process; requests that run no agent are not kept). */
    PLAYGROUND_TRACES: env.integer(50, 1, 1000),
  },
  resolve: (e) => ({
    enabled: e.PLAYGROUND_ENABLED,
    traces: e.PLAYGROUND_TRACES,
  }),
  check: (config, { appEnv }) =>
    appEnv === 'production' && config.enabled === true
      ? [{ key: 'PLAYGROUND_ENABLED', message: 'serves the playground in production (behind auth); any authenticated caller can use it (each sees only the traces of their own runs)', severity: 'warning' }]
      : [],
})
