import type { HealthCheck } from '../http/health/health_registry'
import type { RateLimiter } from './rate_limiter'

/**
 * The `/health` check of the rate limiter's store. Required (a failure makes
 * readiness 503) when the limiter fails closed, since requests are then
 * refused; optional (`degraded`) when it fails open.
 *
 * @example
 * health.register(rateLimiterHealthCheck(app.make('rateLimiter'))) // createServer does this when a rate limiter is bound
 */
export function rateLimiterHealthCheck(limiter: RateLimiter): HealthCheck {
  return { name: 'rate_limiter', required: !limiter.failOpen, check: () => limiter.ping() }
}
