import { E_INVALID_CONFIG } from '../../errors'
import { TooManyRequestsError } from '../../rate_limiter/rate_limit_errors'
import type { RateLimiter } from '../../rate_limiter/rate_limiter'
import type { AgentMiddleware, AgentMiddlewareFactory } from './types'
import { keyDigest } from '../../rate_limiter/key_digest'

const WHOLE = /^\d+$/
const NUMBER = /^\d+(\.\d+)?$/

/**
 * `throttle` as agent middleware (`middleware = ['throttle:10,60']` on an
 * agent class): the same Laravel arguments as the route middleware — none
 * (RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW seconds) or `<runs>,<minutes>` —
 * counted on the application's RateLimiter (memory or Redis, so limits hold
 * across workers) per agent route and per principal of the run's request
 * context. It counts every way a run starts: HTTP, the CLI, a resume. A run
 * over the limit is refused with E_TOO_MANY_REQUESTS (429, Retry-After)
 * before the agent does anything.
 *
 * The limiter is taken on the first run, so a command that only lists routes
 * opens no Redis connection. Bad arguments fail at boot.
 *
 * @example
 * registry.register('throttle', agentThrottle(() => app.make('rateLimiter')))
 */
export function agentThrottle(limiter: () => RateLimiter): AgentMiddlewareFactory {
  return (args) => {
    const [max, minutes = '1'] = args
    const fixed = args.length > 0
    if (fixed && (args.length > 2 || !WHOLE.test(max) || Number(max) < 1 || !NUMBER.test(minutes) || Number(minutes) <= 0)) {
      throw new E_INVALID_CONFIG([`throttle:${args.join(',')} (agent middleware): expected throttle:<runs>,<minutes>, e.g. throttle:10,60`])
    }
    const middleware: AgentMiddleware = {
      name: 'throttle',
      async handle(ctx, next) {
        const rateLimiter = limiter()
        const runs = fixed ? Number(max) : rateLimiter.defaults.requests
        const windowSeconds = fixed ? Number(minutes) * 60 : rateLimiter.defaults.windowSeconds
        const principal = ctx.options.context?.principal
        const who = principal ? `${principal.type}:${principal.id}` : `ip:${ctx.options.context?.ip ?? 'unknown'}`
        const key = `agent-throttle:${keyDigest(`${ctx.path}|${runs}|${windowSeconds}`)}:${keyDigest(who)}`
        const result = await rateLimiter.attempt(key, runs, windowSeconds)
        if (!result.allowed) {
          rateLimiter.rejected(`agent:${ctx.path}`)
          throw new TooManyRequestsError(Math.max(1, Math.ceil(result.retryAfterMs / 1000)), {
            'X-RateLimit-Limit': String(result.limit),
            'X-RateLimit-Remaining': '0',
            'X-RateLimit-Reset': String(Math.ceil(result.resetAt / 1000)),
          })
        }
        return next()
      },
    }
    return middleware
  }
}
