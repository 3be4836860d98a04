/** The outcome of one attempt against a sliding window. */
export interface RateLimitResult {
  /** The window had room for this request. */
  allowed: boolean
  limit: number
  /** Requests still allowed in the current window after this one (after nothing, when the request was not counted). */
  remaining: number
  /** Epoch ms at which the oldest counted request leaves the window (a slot frees up). */
  resetAt: number
  /** When the window was full: ms until a request would fit; 0 when it had room. */
  retryAfterMs: number
}

/** One window a request counts against: `max` requests per `windowMs` on `key`. */
export interface RateLimitHit {
  key: string
  max: number
  windowMs: number
}

/**
 * Counters behind the RateLimiter. `hit` and `hitAll` are atomic: of any
 * number of concurrent hits on one key, exactly `max` in a window are
 * allowed. Keys expire with their window, so storage never grows without
 * bound.
 */
export interface RateLimitStore {
  readonly driver: string
  /** Counts one request on `key` if the window has room; refused requests are not counted. */
  hit(key: string, max: number, windowMs: number): Promise<RateLimitResult>
  /**
   * One request against several windows at once (a named limiter returning
   * several limits): counted on every key when each has room, on none
   * otherwise, as one atomic step, so a refused request consumes nothing.
   * One result per hit, in order; the request was counted when every
   * result is `allowed`. A key given twice counts once.
   */
  hitAll(hits: readonly RateLimitHit[]): Promise<RateLimitResult[]>
  clear(key: string): Promise<void>
  /** Resolves when the store answers (the health check). */
  ping(): Promise<unknown>
}
