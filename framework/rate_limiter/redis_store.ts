import { createHash, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { RateLimitResult, RateLimitStore } from './rate_limit_store'

/**
 * One sliding-window hit, atomically: drop timestamps older than the window,
 * count, add this request if there is room, and read the oldest timestamp
 * (when a slot frees). Time comes from Redis (TIME), so every worker and
 * instance shares one clock. The key expires with its newest request.
 */
export const SLIDING_WINDOW_SCRIPT = `
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < max then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  count = count + 1
  allowed = 1
end
local reset = now + window
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then reset = tonumber(oldest[2]) + window end
return {allowed, count, reset, now}
`

const SCRIPT_SHA = createHash('sha1').update(SLIDING_WINDOW_SCRIPT).digest('hex')

export interface RedisStoreOptions {
  /** REDIS_PREFIX; keys are `<prefix>rate_limit:<key>`. */
  prefix?: string
  /** A hit that takes longer counts as a store failure (fail open or closed); 1000 ms by default. */
  timeoutMs?: number
}

/**
 * Sliding-window counters in Redis, shared by every worker and instance: one
 * sorted set of request timestamps per key, updated by a Lua script run with
 * EVALSHA (the script is sent again only if Redis lost its script cache).
 * Exact under any concurrency, since Redis runs a script as one step.
 *
 * @example
 * const store = new RedisStore(() => app.make('redis').connection(), { prefix: 'langvel:' })
 */
export class RedisStore implements RateLimitStore {
  readonly driver = 'redis'
  private readonly prefix: string
  private readonly timeoutMs: number
  /** Members must be unique within a key: a per-process random tag and a counter. */
  private readonly tag = randomBytes(6).toString('base64url')
  private sequence = 0

  constructor(
    private readonly redis: () => Redis,
    options: RedisStoreOptions = {},
  ) {
    this.prefix = `${options.prefix ?? ''}rate_limit:`
    this.timeoutMs = options.timeoutMs ?? 1000
  }

  async hit(key: string, max: number, windowMs: number): Promise<RateLimitResult> {
    const member = `${this.tag}:${(this.sequence = (this.sequence + 1) % Number.MAX_SAFE_INTEGER)}`
    const args = [this.prefix + key, max, Math.ceil(windowMs), member] as const
    const reply = (await this.withTimeout(this.evaluate(args))) as [number, number, number, number]
    const [allowed, count, resetAt, now] = reply.map(Number)
    return {
      allowed: allowed === 1,
      limit: max,
      remaining: Math.max(0, max - count),
      resetAt,
      retryAfterMs: allowed === 1 ? 0 : Math.max(1, resetAt - now),
    }
  }

  async clear(key: string): Promise<void> {
    await this.withTimeout(this.redis().del(this.prefix + key))
  }

  ping(): Promise<unknown> {
    return this.withTimeout(this.redis().ping())
  }

  private async evaluate(args: readonly [string, number, number, string]): Promise<unknown> {
    const redis = this.redis()
    try {
      return await redis.evalsha(SCRIPT_SHA, 1, ...args)
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
      // EVAL runs the script and puts it back in the script cache for the next EVALSHA.
      return redis.eval(SLIDING_WINDOW_SCRIPT, 1, ...args)
    }
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`rate limit store did not answer within ${this.timeoutMs} ms`)), this.timeoutMs)
      // A request waiting on a dead store must not keep a shutting-down process alive.
      timer.unref()
      promise.then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (error) => {
          clearTimeout(timer)
          reject(error)
        },
      )
    })
  }
}
