import { authMiddleware } from '../auth/http/authenticate'
import { canMiddleware } from '../auth/http/authorize'
import type { Application } from '../foundation/application'
import { rateLimiterHealthCheck } from '../rate_limiter/health_check'
import { throttleMiddleware } from '../rate_limiter/http/throttle'
import type { HealthRegistry } from './health/health_registry'
import type { MiddlewareRegistry } from './middleware_registry'

/**
 * The named route middleware HTTP runs before an agent is reached: `auth`
 * (Bearer JWT or X-API-Key), `can:<permission>` and `throttle:<max>,<minutes>`.
 * Services are resolved on first request, so a server whose routes use none
 * of them never connects to their stores. Names already registered win, so
 * an application can replace any of them.
 *
 * @example
 * registerRouteMiddleware(app, new MiddlewareRegistry(), health).resolve('throttle:60,1')
 */
export function registerRouteMiddleware(app: Application, registry: MiddlewareRegistry, health: HealthRegistry): MiddlewareRegistry {
  if (app.bound('auth')) {
    if (!registry.isRegistered('auth')) registry.register('auth', authMiddleware(() => app.make('auth')))
    if (!registry.isRegistered('can')) registry.register('can', canMiddleware())
  }
  if (app.bound('rateLimiter') && !registry.isRegistered('throttle')) {
    registry.register('throttle', throttleMiddleware(() => app.make('rateLimiter')))
    health.register(rateLimiterHealthCheck(app.make('rateLimiter')))
  }
  return registry
}
