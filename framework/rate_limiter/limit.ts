import { E_INVALID_CONFIG } from '../errors'

/**
 * How many requests a window allows, and whose requests count together
 * (`by`). Immutable: `by` returns a new Limit. Laravel's Limit, in seconds.
 *
 * @example
 * Limit.perMinute(60).by(ctx.user?.id ?? ctx.ip)
 * Limit.perMinutes(5, 100)   // 100 per 5 minutes
 * Limit.none()               // unlimited
 */
export class Limit {
  private constructor(
    /** Requests allowed per window; Infinity for `none()`. */
    readonly maxAttempts: number,
    readonly windowSeconds: number,
    /** Whose requests count together; empty means the principal, else the client IP. */
    readonly key: string = '',
  ) {}

  /** `maxAttempts` per `windowSeconds` seconds. */
  static of(maxAttempts: number, windowSeconds: number): Limit {
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new E_INVALID_CONFIG([`rate limit: expected a positive whole number of requests, got ${maxAttempts}`])
    if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) throw new E_INVALID_CONFIG([`rate limit: expected a positive window, got ${windowSeconds}`])
    return new Limit(maxAttempts, windowSeconds)
  }

  static perSecond(maxAttempts: number, seconds = 1): Limit {
    return Limit.of(maxAttempts, seconds)
  }

  static perMinute(maxAttempts: number): Limit {
    return Limit.of(maxAttempts, 60)
  }

  static perMinutes(minutes: number, maxAttempts: number): Limit {
    return Limit.of(maxAttempts, minutes * 60)
  }

  static perHour(maxAttempts: number, hours = 1): Limit {
    return Limit.of(maxAttempts, hours * 3600)
  }

  static perDay(maxAttempts: number, days = 1): Limit {
    return Limit.of(maxAttempts, days * 86_400)
  }

  static none(): Limit {
    return new Limit(Number.POSITIVE_INFINITY, 1)
  }

  get unlimited(): boolean {
    return this.maxAttempts === Number.POSITIVE_INFINITY
  }

  /** Counts requests per `key` (a user id, an IP, a tenant...). */
  by(key: string | number): Limit {
    return new Limit(this.maxAttempts, this.windowSeconds, String(key))
  }
}
