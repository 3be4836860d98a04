import type { Redis } from 'ioredis'
import { guardStore } from '../store_errors'
import type { ThreadOwnerStore } from './thread_owner_store'

export interface RedisThreadOwnerStoreOptions {
  /** REDIS_PREFIX; keys are `<prefix>auth:thread_owner:<thread id>`. */
  prefix?: string
  /** Forget an owner this long after the claim (match the checkpointer's TTL); kept forever when omitted. */
  ttlSeconds?: number
}

/**
 * Thread owners in Redis. A claim is one `SET key owner NX GET`: it sets the
 * owner if there was none and returns the previous one, atomically, in one
 * round trip.
 *
 * @example
 * const store = new RedisThreadOwnerStore(() => app.make('redis').connection(), { prefix: 'langvel:' })
 */
export class RedisThreadOwnerStore implements ThreadOwnerStore {
  private readonly prefix: string

  constructor(
    private readonly redis: () => Redis,
    private readonly options: RedisThreadOwnerStoreOptions = {},
  ) {
    this.prefix = `${options.prefix ?? ''}auth:thread_owner:`
  }

  claim(threadId: string, owner: string): Promise<string> {
    return guardStore(async () => {
      const ttl = this.options.ttlSeconds ? ['EX', String(Math.ceil(this.options.ttlSeconds))] : []
      const previous = (await this.redis().call('SET', this.prefix + threadId, owner, 'NX', 'GET', ...ttl)) as string | null
      return previous ?? owner
    })
  }

  owner(threadId: string): Promise<string | undefined> {
    return guardStore(async () => (await this.redis().get(this.prefix + threadId)) ?? undefined)
  }

  /**
   * Walks every ownership key with SCAN: O(threads), for an erasure, never on
   * a request path. SCAN may return a key more than once, so ids are collected in a Set.
   */
  threadsOf(owner: string): Promise<string[]> {
    return guardStore(async () => {
      const redis = this.redis()
      const owned = new Set<string>()
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(this.prefix)}*`, 'COUNT', 500)
        cursor = next
        if (keys.length === 0) continue
        const owners = await redis.mget(...keys)
        keys.forEach((key, i) => {
          if (owners[i] === owner) owned.add(key.slice(this.prefix.length))
        })
      } while (cursor !== '0')
      return [...owned].sort()
    })
  }

  release(threadId: string, owner: string): Promise<boolean> {
    return guardStore(async () => {
      // Deleted only while `owner` still holds it, in one step.
      const deleted = (await this.redis().eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, this.prefix + threadId, owner)) as number
      return deleted === 1
    })
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`)
}
