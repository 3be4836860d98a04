import { E_INVALID_CONFIG } from '../../errors'
import type { HttpMiddleware } from '../../http/compose'
import type { HttpContext } from '../../http/context'
import type { MiddlewareFactory } from '../../http/compose'
import { Limit } from '../limit'
import { TooManyRequestsError } from '../rate_limit_errors'
import type { RateLimitResult } from '../rate_limit_store'
import type { Attempt, LimiterContext, LimiterResolver, RateLimiter } from '../rate_limiter'
import { keyDigest } from '../key_digest'

/** How a throttle picks its limits: fixed (`throttle:60,1`) or from a named limiter. */
type Source = { kind: 'fixed'; limit: Limit; name?: string } | { kind: 'named'; name: string; resolver: LimiterResolver }

const NUMBER = /^\d+(\.\d+)?$/

/** Who a request counts for: the principal when authenticated, else the client IP (as Laravel does). */
function identityOf(ctx: HttpContext): string {
  return ctx.principal ? `${ctx.principal.type}:${ctx.principal.id}` : `ip:${ctx.ip ?? 'unknown'}`
}

/** The route's own name in counter keys: the agent path, else the route template. */
function routeOf(ctx: HttpContext): string {
  return ctx.agent?.path ?? ctx.routeTemplate
}

function limiterContext(ctx: HttpContext): LimiterContext {
  return {
    user: ctx.principal,
    ip: ctx.ip ?? 'unknown',
    method: ctx.method,
    route: routeOf(ctx),
    header: (name) => ctx.header(name.toLowerCase()),
  }
}

function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(result.limit),
    'X-RateLimit-Remaining': String(result.remaining),
    'X-RateLimit-Reset': String(Math.ceil(result.resetAt / 1000)),
  }
}

/**
 * Parses `throttle` arguments, Laravel style: none (RATE_LIMIT_REQUESTS per
 * RATE_LIMIT_WINDOW seconds), `60,1` (60 per 1 minute), `60,1,shared` (a
 * counter name shared by the routes that give it), or the name of a limiter
 * declared with `RateLimiter.for`. Errors are E_INVALID_CONFIG, raised when
 * the routes are built.
 */
function parseArgs(limiter: RateLimiter, args: readonly string[]): Source {
  if (args.length === 0) return { kind: 'fixed', limit: Limit.of(limiter.defaults.requests, limiter.defaults.windowSeconds) }
  if (args.length === 1 && !NUMBER.test(args[0])) {
    const resolver = limiter.limiter(args[0])
    if (!resolver) throw new E_INVALID_CONFIG([`throttle:${args[0]}: no rate limiter named "${args[0]}" (declare it with RateLimiter.for('${args[0]}', ...))`])
    return { kind: 'named', name: args[0], resolver }
  }
  const [max, minutes = '1', name] = args
  if (!/^\d+$/.test(max) || Number(max) < 1 || !NUMBER.test(minutes) || Number(minutes) <= 0 || args.length > 3) {
    throw new E_INVALID_CONFIG([`throttle:${args.join(',')}: expected throttle:<requests>,<minutes>[,<name>], e.g. throttle:60,1`])
  }
  return { kind: 'fixed', limit: Limit.of(Number(max), Number(minutes) * 60), name }
}

/**
 * The `throttle` HTTP middleware. Each request is one sliding-window hit on
 * all of its limits together: counted on every limit when each has room, on
 * none when any is full (a refused request uses up nothing, whatever the
 * store, even under concurrency). Every response of a throttled route
 * carries `X-RateLimit-Limit`,
 * `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds at which a
 * slot frees), and a refused one is 429 with `Retry-After`. Counters are per
 * route (or per named limiter) and per principal, or client IP without one.
 * Put it after `auth` to count per principal.
 *
 * @example
 * throttle(app.make('rateLimiter'), ['60', '1'])    // throttle:60,1
 * throttle(app.make('rateLimiter'), ['agents'])     // throttle:agents
 */
export function throttle(limiter: RateLimiter, args: readonly string[] = []): HttpMiddleware {
  const source = parseArgs(limiter, args)
  return {
    name: 'throttle',
    async handle(ctx, next) {
      let name: string
      let limits: Limit[]
      if (source.kind === 'named') {
        name = source.name
        const picked = source.resolver(limiterContext(ctx))
        limits = Array.isArray(picked) ? picked : [picked]
      } else {
        name = source.name ?? routeOf(ctx)
        limits = [source.limit]
      }

      const attempts = new Map<string, Attempt>()
      for (const limit of limits) {
        if (limit.unlimited) continue
        const who = limit.key === '' ? identityOf(ctx) : `key:${limit.key}`
        // The window is part of the key: two limits of one limiter never share a counter.
        const key = `${name}:${limit.maxAttempts}/${limit.windowSeconds}:${keyDigest(who)}`
        attempts.set(key, { key, maxAttempts: limit.maxAttempts, windowSeconds: limit.windowSeconds })
      }
      if (attempts.size === 0) return next()

      // All limits in one atomic step: a request refused by one limit is counted by none.
      const outcome = await limiter.attemptAll([...attempts.values()])
      if (outcome.degraded) return next()
      if (!outcome.allowed) {
        // The request fits again only once every full window has a free slot.
        const full = outcome.results.filter((result) => !result.allowed)
        const shown = full.reduce((latest, result) => (result.retryAfterMs > latest.retryAfterMs ? result : latest))
        limiter.rejected(name)
        const headers = rateLimitHeaders(shown)
        for (const [header, value] of Object.entries(headers)) ctx.res.setHeader(header, value)
        throw new TooManyRequestsError(Math.max(1, Math.ceil(shown.retryAfterMs / 1000)), headers)
      }
      const shown = outcome.results.reduce((tightest, result) => (result.remaining < tightest.remaining ? result : tightest))
      for (const [header, value] of Object.entries(rateLimitHeaders(shown))) ctx.res.setHeader(header, value)
      return next()
    },
  }
}

/**
 * The factory to register as `throttle`, a `request`-stage middleware.
 *
 * @example
 * registry.register('throttle', { stage: 'request', create: throttleMiddleware(() => app.make('rateLimiter')) })
 */
export function throttleMiddleware(limiter: RateLimiter | (() => RateLimiter)): MiddlewareFactory {
  return (args) => throttle(typeof limiter === 'function' ? limiter() : limiter, args)
}
