import type { Application } from '../../foundation/application'
import type { HealthCheck } from './health_registry'

export type DependencyRequirement = 'required' | 'optional' | 'off'

export interface DefaultChecksOptions {
  /** The database check runs when `db` is bound; required unless said otherwise. */
  database?: DependencyRequirement
  /**
   * Redis is checked only when something depends on it. Defaults to required
   * when the checkpointer driver is redis, off otherwise; pass `required` when
   * a cache, rate limiter or token store uses Redis.
   */
  redis?: DependencyRequirement
  /** The checkpointer's own check (the checkpointer manager supplies it). */
  checkpointer?: { check: () => Promise<unknown>; required?: boolean }
}

interface Pingable {
  ping(): Promise<unknown>
}

/**
 * The framework's dependency checks, built from what the application has
 * bound. Nothing is connected here: each check opens its connection on first
 * run, through the same manager the application uses.
 *
 * @example
 * for (const check of defaultHealthChecks(app, { redis: 'required' })) health.register(check)
 */
export function defaultHealthChecks(app: Application, options: DefaultChecksOptions = {}): HealthCheck[] {
  const checks: HealthCheck[] = []
  const database = options.database ?? 'required'
  if (database !== 'off' && app.bound('db')) {
    // `db` is bound by framework/database; typed loosely so this file does not depend on it.
    const make = app.make as unknown as (name: string) => Pingable
    checks.push({ name: 'database', required: database === 'required', check: () => make.call(app, 'db').ping() })
  }
  const redis = options.redis ?? (checkpointerDriver(app) === 'redis' ? 'required' : 'off')
  if (redis !== 'off' && app.bound('redis')) {
    checks.push({ name: 'redis', required: redis === 'required', check: () => app.make('redis').ping() })
  }
  if (options.checkpointer) {
    checks.push({ name: 'checkpointer', required: options.checkpointer.required ?? true, check: options.checkpointer.check })
  }
  return checks
}

function checkpointerDriver(app: Application): string | undefined {
  return app.config.has('checkpointer') ? app.config.get('checkpointer').default : undefined
}
