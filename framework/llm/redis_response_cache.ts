import type { Redis } from 'ioredis'
import type { StoredAnswer } from './messages'
import type { ResponseCacheStore } from './response_cache'

/**
 * Model answers in Redis, shared by every worker and instance: one string key
 * per answer under `<REDIS_PREFIX>llm:cache:`, expiring with Redis's own TTL.
 *
 * @example
 * const cache = new RedisResponseCache(() => app.make('redis').connection(), 'langvel:')
 */
export class RedisResponseCache implements ResponseCacheStore {
  readonly driver = 'redis'

  constructor(
    private readonly connection: () => Redis,
    private readonly prefix: string,
  ) {}

  key(hash: string): string {
    return `${this.prefix}llm:cache:${hash}`
  }

  async get(key: string): Promise<StoredAnswer | undefined> {
    const raw = await this.connection().get(this.key(key))
    if (raw === null) return undefined
    try {
      return JSON.parse(raw) as StoredAnswer
    } catch {
      // A corrupt entry is a miss, not a failed call.
      return undefined
    }
  }

  async set(key: string, value: StoredAnswer, ttlSeconds: number): Promise<void> {
    await this.connection().set(this.key(key), JSON.stringify(value), 'EX', Math.max(1, Math.ceil(ttlSeconds)))
  }
}
