/** The outcome of one attempt against a sliding window. */
export interface RateLimitResult {
  allowed: boolean
  limit: number
  /** Requests still allowed in the current window after this one. */
  remaining: number
  /** Epoch ms at which the oldest counted request leaves the window (a slot frees up). */
  resetAt: number
  /** When refused: ms until a request would be allowed; 0 when allowed. */
  retryAfterMs: number
}

/**
 * Counters behind the RateLimiter. `hit` is atomic: of any number of
 * concurrent hits on one key, exactly `max` in a window are allowed. Keys
 * expire with their window, so storage never grows without bound.
 */
export interface RateLimitStore {
  readonly driver: string
  /** Counts one request on `key` if the window has room; refused requests are not counted. */
  hit(key: string, max: number, windowMs: number): Promise<RateLimitResult>
  clear(key: string): Promise<void>
  /** Resolves when the store answers (the health check). */
  ping(): Promise<unknown>
}
