import { E_SERVICE_UNAVAILABLE, E_TOO_MANY_REQUESTS } from '../errors'

/**
 * 429 E_TOO_MANY_REQUESTS carrying `Retry-After` (whole seconds) and the
 * X-RateLimit-* headers; the exception handler copies `headers` onto the response.
 *
 * @example
 * throw new TooManyRequestsError(12, { 'X-RateLimit-Limit': '60', 'X-RateLimit-Remaining': '0' })
 */
export class TooManyRequestsError extends E_TOO_MANY_REQUESTS {
  readonly headers: Record<string, string>

  constructor(
    readonly retryAfterSeconds: number,
    rateLimitHeaders: Record<string, string> = {},
  ) {
    super()
    this.headers = { ...rateLimitHeaders, 'Retry-After': String(retryAfterSeconds) }
  }
}

/** 503 when the store is down and the limiter fails closed; clients may retry shortly. */
export class RateLimiterUnavailableError extends E_SERVICE_UNAVAILABLE {
  readonly headers = { 'Retry-After': '1' }

  constructor(cause: unknown) {
    super('Rate limiting', { cause })
  }
}
