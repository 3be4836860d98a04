import type { Principal } from '../../contracts/request_context'
import { ExpiringLru } from '../expiring_lru'

export interface VerifiedToken {
  principal: Principal
  jti: string
  /** The token's `exp`, epoch ms. */
  expiresAt: number
  /**
   * The last moment (exclusive, epoch ms) the verifier accepts the token:
   * `exp` plus the clock tolerance. A revocation is kept until then too.
   */
  acceptedUntil: number
}

/**
 * Tokens whose signature and claims were verified, keyed by the token string
 * and bounded in size. An entry dies at the token's `acceptedUntil` (`exp`
 * plus the clock tolerance): the moment the verifier starts refusing it as
 * expired, and the moment its revocation record may go. So the cache never
 * accepts a token the verifier would refuse, and never outlives a revocation
 * record. Revocation is not cached here: the token service asks the
 * revocation store on every hit. Failed verifications are never cached
 * (garbage cannot fill the cache).
 *
 * @example
 * const cache = new VerifiedTokenCache(10_000)
 * cache.get(token)?.principal
 */
export class VerifiedTokenCache {
  private readonly entries: ExpiringLru<string, VerifiedToken>

  constructor(maxEntries: number, now: () => number = Date.now) {
    this.entries = new ExpiringLru(maxEntries, now)
  }

  get size(): number {
    return this.entries.size
  }

  get(token: string): VerifiedToken | undefined {
    return this.entries.get(token)
  }

  set(token: string, verified: VerifiedToken): void {
    this.entries.set(token, verified, verified.acceptedUntil)
  }

  /** Forgets every cached token carrying this id. */
  forgetJti(jti: string): void {
    this.entries.deleteWhere((entry) => entry.jti === jti)
  }

  clear(): void {
    this.entries.clear()
  }
}
