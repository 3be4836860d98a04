import { createHash, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { RateLimitHit, RateLimitResult, RateLimitStore } from './rate_limit_store'

/**
 * One request against one or more sliding windows, atomically. For each key
 * (KEYS[i], with ARGV[2i] requests per ARGV[2i+1] ms): drop timestamps older
 * than its window and count. Only when every window has room is the request
 * added to all of them (member ARGV[1]); otherwise to none, so a refused
 * request consumes nothing. Then, per key: had room (1/0), count, and when
 * the oldest counted request leaves the window. Time comes from Redis
 * (TIME), so every worker and instance shares one clock. A key expires with
 * its newest request. A key given twice counts once (the same member).
 * Returns {counted, now, room1, count1, reset1, room2, ...}.
 */
export const SLIDING_WINDOW_SCRIPT = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local room = {}
local counted = 1
for i = 1, #KEYS do
  local max = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) < max then room[i] = 1 else room[i] = 0; counted = 0 end
end
local reply = {counted, now}
for i = 1, #KEYS do
  local window = tonumber(ARGV[2 * i + 1])
  if counted == 1 then
    redis.call('ZADD', KEYS[i], now, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], window)
  end
  local reset = now + window
  local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  if oldest[2] then reset = tonumber(oldest[2]) + window end
  reply[#reply + 1] = room[i]
  reply[#reply + 1] = redis.call('ZCARD', KEYS[i])
  reply[#reply + 1] = reset
end
return reply
`

const SCRIPT_SHA = createHash('sha1').update(SLIDING_WINDOW_SCRIPT).digest('hex')

export interface RedisStoreOptions {
  /** REDIS_PREFIX; keys are `<prefix>rate_limit:<key>`. */
  prefix?: string
}

/**
 * Sliding-window counters in Redis, shared by every worker and instance: one
 * sorted set of request timestamps per key, updated by a Lua script run with
 * EVALSHA (the script is sent again only if Redis lost its script cache).
 * Exact under any concurrency, since Redis runs a script as one step; the
 * windows of one request (`hitAll`) go through one script call, so they are
 * checked and counted together. The keys of one call must live on one
 * Redis node (a single server, as RedisManager connects to). How long a hit
 * may wait is the connection's: RedisManager bounds every command and fails
 * them at once while Redis is down, and the limiter fails open or closed.
 *
 * @example
 * const store = new RedisStore(() => app.make('redis').connection(), { prefix: 'langvel:' })
 */
export class RedisStore implements RateLimitStore {
  readonly driver = 'redis'
  private readonly prefix: string
  /** Members must be unique within a key: a per-process random tag and a counter. */
  private readonly tag = randomBytes(6).toString('base64url')
  private sequence = 0

  constructor(
    private readonly redis: () => Redis,
    options: RedisStoreOptions = {},
  ) {
    this.prefix = `${options.prefix ?? ''}rate_limit:`
  }

  async hit(key: string, max: number, windowMs: number): Promise<RateLimitResult> {
    return (await this.hitAll([{ key, max, windowMs }]))[0]
  }

  async hitAll(hits: readonly RateLimitHit[]): Promise<RateLimitResult[]> {
    if (hits.length === 0) return []
    const member = `${this.tag}:${(this.sequence = (this.sequence + 1) % Number.MAX_SAFE_INTEGER)}`
    const keys = hits.map((hit) => this.prefix + hit.key)
    const args = [member, ...hits.flatMap((hit) => [hit.max, Math.ceil(hit.windowMs)])]
    const reply = ((await this.evaluate(keys, args)) as unknown[]).map(Number)
    const now = reply[1]
    return hits.map((hit, index) => {
      const [room, count, resetAt] = reply.slice(2 + index * 3, 5 + index * 3)
      return {
        allowed: room === 1,
        limit: hit.max,
        remaining: Math.max(0, hit.max - count),
        resetAt,
        retryAfterMs: room === 1 ? 0 : Math.max(1, resetAt - now),
      }
    })
  }

  async clear(key: string): Promise<void> {
    await this.redis().del(this.prefix + key)
  }

  ping(): Promise<unknown> {
    return this.redis().ping()
  }

  private async evaluate(keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    const redis = this.redis()
    try {
      return await redis.evalsha(SCRIPT_SHA, keys.length, ...keys, ...args)
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
      // EVAL runs the script and puts it back in the script cache for the next EVALSHA.
      return redis.eval(SLIDING_WINDOW_SCRIPT, keys.length, ...keys, ...args)
    }
  }
}
