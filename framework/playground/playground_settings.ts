import type { Application } from '../foundation/application'

export interface PlaygroundSettings {
  enabled: boolean
  /** Traces kept in memory for the page. */
  traces: number
  /** Production serves it behind `auth` only. */
  requiresAuth: boolean
}

/**
 * Whether /_langvel is served, decided once from config/playground.ts and
 * APP_ENV: PLAYGROUND_ENABLED when set, otherwise on in development only.
 * A project without config/playground.ts has no playground.
 *
 * @example
 * if (playgroundSettings(app).enabled) recorder = new TraceRecorder({ maxTraces: playgroundSettings(app).traces })
 */
export function playgroundSettings(app: Application): PlaygroundSettings {
  if (!app.config.has('playground')) return { enabled: false, traces: 0, requiresAuth: true }
  const config = app.config.get('playground')
  const appEnv = app.config.appEnv
  return { enabled: config.enabled ?? appEnv === 'development', traces: config.traces, requiresAuth: appEnv === 'production' }
}
