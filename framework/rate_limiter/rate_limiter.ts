import { Counter, type Registry } from 'prom-client'
import type { Principal } from '../contracts/request_context'
import type { Logger } from '../logger'
import type { Limit } from './limit'
import { RateLimiterUnavailableError } from './rate_limit_errors'
import type { RateLimitResult, RateLimitStore } from './rate_limit_store'

/** What a named limiter sees of the request when it picks its limit. */
export interface LimiterContext {
  /** The authenticated principal, if `auth` ran before `throttle`. */
  readonly user?: Principal
  readonly ip: string
  readonly method: string
  /** The route (agent path or route template). */
  readonly route: string
  header(name: string): string | undefined
}

/** Picks the limit(s) of a request; `Limit.none()` or an empty array lets it through. */
export type LimiterResolver = (ctx: LimiterContext) => Limit | Limit[]

export interface RateLimiterOptions {
  store: RateLimitStore
  /** When the store fails: true lets requests through (logged, counted), false refuses them with 503. */
  failOpen?: boolean
  /** `throttle` without arguments: RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW seconds. */
  defaults?: { requests: number; windowSeconds: number }
  logger?: Logger
  /** The Prometheus registry the store-failure counter joins (the shared metrics registry). */
  registry?: Registry
}

/** A result when the store failed and the limiter fails open: nothing is known about the window. */
export interface DegradedResult {
  allowed: true
  degraded: true
}

export type AttemptResult = (RateLimitResult & { degraded?: false }) | DegradedResult

/** One window of a request counted against several (`attemptAll`). */
export interface Attempt {
  key: string
  maxAttempts: number
  windowSeconds: number
}

/** Several windows checked together: `allowed` when every one had room, and then the request counted on all. */
export type AttemptAllResult = { allowed: boolean; degraded?: false; results: RateLimitResult[] } | DegradedResult

const STORE_ERRORS = 'langvel_rate_limiter_store_errors_total'
const REJECTIONS = 'langvel_rate_limit_rejections_total'

const globalLimiters = new Map<string, LimiterResolver>()

function counter(registry: Registry | undefined, name: string, help: string, labelNames: string[]): Counter | undefined {
  if (!registry) return undefined
  return (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] })
}

/**
 * Rate limiting over a counter store (memory or Redis), Laravel style:
 * named limiters declared with `RateLimiter.for(name, ctx => Limit...)`
 * and plain attempts for `throttle:60,1`. Every attempt is a sliding-window
 * hit, exact under concurrency. When the store is unreachable the limiter
 * fails open or closed (RATE_LIMIT_FAIL_OPEN); the first failure of an
 * outage is logged as a warning, the recovery as info, and every failed
 * attempt is counted in `langvel_rate_limiter_store_errors_total`.
 *
 * @example
 * RateLimiter.for('agents', (ctx) => Limit.perMinute(60).by(ctx.user?.id ?? ctx.ip))
 * const result = await app.make('rateLimiter').attempt('login:ada', 5, 60)
 */
export class RateLimiter {
  private readonly limiters = new Map<string, LimiterResolver>()
  private readonly storeErrors?: Counter
  private readonly rejections?: Counter
  private degraded = false
  readonly failOpen: boolean
  readonly defaults: { requests: number; windowSeconds: number }

  constructor(private readonly options: RateLimiterOptions) {
    this.failOpen = options.failOpen ?? true
    this.defaults = options.defaults ?? { requests: 60, windowSeconds: 60 }
    this.storeErrors = counter(options.registry, STORE_ERRORS, 'Rate limiter store failures by driver and the decision taken (allowed: fail open, rejected: fail closed)', ['driver', 'decision'])
    this.rejections = counter(options.registry, REJECTIONS, 'Requests refused with 429 by limiter', ['limiter'])
  }

  /**
   * Declares a named limiter for every RateLimiter of the process (the
   * application's routes use it as `throttle:<name>`).
   *
   * @example
   * RateLimiter.for('agents', (ctx) => Limit.perMinute(60).by(ctx.user?.id ?? ctx.ip))
   */
  static for(name: string, resolver: LimiterResolver): void {
    globalLimiters.set(name, resolver)
  }

  /** Forgets a process-wide named limiter (tests). */
  static forget(name: string): void {
    globalLimiters.delete(name)
  }

  /** Declares a named limiter on this instance only; it wins over a process-wide one. */
  for(name: string, resolver: LimiterResolver): this {
    this.limiters.set(name, resolver)
    return this
  }

  limiter(name: string): LimiterResolver | undefined {
    return this.limiters.get(name) ?? globalLimiters.get(name)
  }

  get driver(): string {
    return this.options.store.driver
  }

  /**
   * Counts one request on `key` against `maxAttempts` per `windowSeconds`.
   * Throws RateLimiterUnavailableError (503 E_SERVICE_UNAVAILABLE) when the store fails and the limiter
   * fails closed; fails open with `{ allowed: true, degraded: true }`.
   */
  async attempt(key: string, maxAttempts: number, windowSeconds: number): Promise<AttemptResult> {
    let result: RateLimitResult
    try {
      result = await this.options.store.hit(key, maxAttempts, windowSeconds * 1000)
    } catch (error) {
      return this.storeFailed(error)
    }
    this.recovered()
    return result
  }

  /**
   * Counts one request against several windows at once (the limits of a
   * named limiter): on every one when each has room, on none otherwise, in
   * one atomic store step, so a refused request uses up nothing. Fails open
   * or closed as `attempt` does.
   *
   * @example
   * const { allowed } = await limiter.attemptAll([{ key: 'ada:min', maxAttempts: 10, windowSeconds: 60 }, { key: 'ada:day', maxAttempts: 500, windowSeconds: 86_400 }])
   */
  async attemptAll(attempts: readonly Attempt[]): Promise<AttemptAllResult> {
    let results: RateLimitResult[]
    try {
      results = await this.options.store.hitAll(attempts.map(({ key, maxAttempts, windowSeconds }) => ({ key, max: maxAttempts, windowMs: windowSeconds * 1000 })))
    } catch (error) {
      return this.storeFailed(error)
    }
    this.recovered()
    return { allowed: results.every((result) => result.allowed), results }
  }

  /** Counts a refusal in the metrics (the throttle middleware calls it). */
  rejected(limiter: string): void {
    this.rejections?.inc({ limiter })
  }

  clear(key: string): Promise<void> {
    return this.options.store.clear(key)
  }

  /** Resolves when the store answers: the `/health` check. */
  ping(): Promise<unknown> {
    return this.options.store.ping()
  }

  private recovered(): void {
    if (!this.degraded) return
    this.degraded = false
    this.options.logger?.info('rate limiter store is reachable again', { driver: this.driver })
  }

  private storeFailed(error: unknown): DegradedResult {
    const decision = this.failOpen ? 'allowed' : 'rejected'
    this.storeErrors?.inc({ driver: this.driver, decision })
    if (!this.degraded) {
      this.degraded = true
      this.options.logger?.warn(`rate limiter store is unreachable: requests are ${this.failOpen ? 'let through (fail open)' : 'refused with 503 (fail closed)'}`, {
        driver: this.driver,
        error: error as Error,
      })
    }
    if (!this.failOpen) throw new RateLimiterUnavailableError(error)
    return { allowed: true, degraded: true }
  }
}
