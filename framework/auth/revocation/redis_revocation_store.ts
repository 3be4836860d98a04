import type { Redis } from 'ioredis'
import { guardStore } from '../store_errors'
import type { RevocationStore } from './revocation_store'

export interface RedisRevocationStoreOptions {
  /** REDIS_PREFIX; keys are `<prefix>auth:revoked:<jti>`. */
  prefix?: string
  now?: () => number
}

/**
 * Revoked token ids in Redis, one key per id (`SET key 1 PXAT until`, where
 * `until` is the token's `exp` plus the clock tolerance), so each expires
 * with its own token. One shared set with one TTL would forget early
 * revocations whenever a later one reset its expiry.
 *
 * @example
 * const store = new RedisRevocationStore(() => app.make('redis').connection(), { prefix: 'langvel:' })
 */
export class RedisRevocationStore implements RevocationStore {
  private readonly prefix: string
  private readonly now: () => number

  constructor(
    private readonly redis: () => Redis,
    options: RedisRevocationStoreOptions = {},
  ) {
    this.prefix = `${options.prefix ?? ''}auth:revoked:`
    this.now = options.now ?? Date.now
  }

  revoke(jti: string, until: Date): Promise<void> {
    if (until.getTime() <= this.now()) return Promise.resolve()
    return guardStore(async () => {
      // PXAT: the key dies when the token stops being accepted, on Redis's clock.
      await this.redis().set(this.prefix + jti, '1', 'PXAT', until.getTime())
    })
  }

  isRevoked(jti: string): Promise<boolean> {
    return guardStore(async () => (await this.redis().exists(this.prefix + jti)) === 1)
  }
}
