import type { Redis } from 'ioredis'
import { guardStore } from '../store_errors'
import type { RevocationStore } from './revocation_store'

export interface RedisRevocationStoreOptions {
  /** REDIS_PREFIX; keys are `<prefix>auth:revoked:<jti>`. */
  prefix?: string
  now?: () => number
}

/**
 * Revoked token ids in Redis, one key per id (`SET key 1 PXAT exp`), so each
 * expires with its own token. One shared set with one TTL would forget early
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

  revoke(jti: string, expiresAt: Date): Promise<void> {
    if (expiresAt.getTime() <= this.now()) return Promise.resolve()
    return guardStore(async () => {
      // PXAT: the key dies at the token's own expiry, on Redis's clock.
      await this.redis().set(this.prefix + jti, '1', 'PXAT', expiresAt.getTime())
    })
  }

  isRevoked(jti: string): Promise<boolean> {
    return guardStore(async () => (await this.redis().exists(this.prefix + jti)) === 1)
  }
}
