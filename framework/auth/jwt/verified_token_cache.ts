import { LRUCache } from 'lru-cache'
import type { Principal } from '../../contracts/request_context'
import { deleteWhere, lruClock, setUntil } from '../../support/lru'

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
 * (garbage cannot fill the cache). A size of 0 keeps nothing.
 *
 * @example
 * const cache = new VerifiedTokenCache(10_000)
 * cache.get(token)?.principal
 */
export class VerifiedTokenCache {
  private readonly entries?: LRUCache<string, VerifiedToken>

  constructor(maxEntries: number, now: () => number = Date.now) {
    if (maxEntries > 0) this.entries = new LRUCache({ max: maxEntries, ...lruClock(now) })
  }

  get size(): number {
    return this.entries?.size ?? 0
  }

  get(token: string): VerifiedToken | undefined {
    return this.entries?.get(token)
  }

  set(token: string, verified: VerifiedToken): void {
    if (this.entries) setUntil(this.entries, token, verified, verified.acceptedUntil)
  }

  /** Forgets every cached token carrying this id. */
  forgetJti(jti: string): void {
    if (this.entries) deleteWhere(this.entries, (entry) => entry.jti === jti)
  }

  clear(): void {
    this.entries?.clear()
  }
}
