import { randomUUID } from 'node:crypto'
import jwt from 'jsonwebtoken'
import type { Principal } from '../../contracts/request_context'
import { E_INVALID_CONFIG, E_INVALID_INPUT } from '../../errors'
import { AuthenticationError, type AuthFailureReason } from '../authentication_error'
import type { RevocationStore } from '../revocation/revocation_store'
import { StatusCache } from '../status_cache'
import type { JwtKeys } from './jwt_keys'
import { VerifiedTokenCache, type VerifiedToken } from './verified_token_cache'

export interface TokenServiceOptions {
  keys: JwtKeys
  issuer: string
  audience: string
  /** Seconds of clock skew allowed on `exp`/`nbf`/`iat` between machines. */
  clockToleranceSeconds: number
  /** Lifetime of a token issued without `ttlSeconds` (JWT_EXPIRY). */
  defaultTtlSeconds: number
  /** Longest lifetime accepted, issued or verified (JWT_MAX_TTL); a bare `jti` is revoked for this long plus some clock tolerance (see revoke). */
  maxTtlSeconds: number
  revocations: RevocationStore
  /** Verified tokens kept in memory (AUTH_TOKEN_CACHE_SIZE); 0 verifies every request. */
  cacheSize?: number
  /** How long a revocation lookup may be reused (AUTH_STATUS_CACHE_MS); 0 asks the store every request. */
  statusCacheMs?: number
  now?: () => number
}

export interface IssueOptions {
  permissions?: readonly string[]
  ttlSeconds?: number
  /** Extra claims; the registered ones (sub, jti, exp...) and `permissions` cannot be overridden. */
  claims?: Record<string, unknown>
}

export interface IssuedToken {
  token: string
  jti: string
  subject: string
  permissions: string[]
  issuedAt: Date
  expiresAt: Date
}

export interface RevokedToken {
  jti: string
  /** The token's `exp`; for a bare `jti`, the latest `exp` a token carrying it could have. */
  expiresAt: Date
  /** How long the revocation is kept: until no verifier could accept the token any more (`exp` plus the clock tolerance). */
  recordedUntil: Date
  /** The token could not be accepted any more (past `exp` plus the clock tolerance): nothing needed recording. */
  alreadyExpired: boolean
}

/** What `check` looks at: `revoke` takes a token whatever its times, since it may be accepted later. */
type CheckMode = 'verify' | 'revoke'

const RESERVED_CLAIMS = new Set(['sub', 'jti', 'iat', 'exp', 'nbf', 'iss', 'aud', 'permissions'])
/** Longer strings are refused before any parsing or hashing. */
const MAX_TOKEN_LENGTH = 8192
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
const JTI_SHAPE = /^[A-Za-z0-9._:-]{1,128}$/
const PERMISSION_SHAPE = /^[^\s,]{1,200}$/

/** jsonwebtoken reports failures as errors whose name and message say what failed. */
function reasonOf(error: unknown): AuthFailureReason {
  const { name, message } = (error ?? {}) as { name?: string; message?: string }
  if (name === 'TokenExpiredError') return 'expired'
  if (name === 'NotBeforeError') return 'not_yet_valid'
  const text = message ?? ''
  if (text.startsWith('jwt issuer invalid')) return 'wrong_issuer'
  if (text.startsWith('jwt audience invalid')) return 'wrong_audience'
  if (text === 'invalid signature') return 'invalid_signature'
  if (text === 'invalid algorithm' || text === 'jwt signature is required') return 'wrong_algorithm'
  return 'malformed'
}

function headerAlgorithm(token: string): unknown {
  try {
    return (JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8')) as { alg?: unknown }).alg
  } catch {
    return undefined
  }
}

/**
 * Issues, verifies and revokes JWTs. Verification pins the configured
 * algorithm (a token whose header names another one, `none` included, is
 * refused before its signature is looked at), checks issuer, audience,
 * expiry and `nbf` with a small clock tolerance, requires `sub`, `jti`,
 * `iat` and `exp`, refuses an `iat` in the future (beyond the tolerance),
 * then asks the revocation store about the `jti`.
 *
 * A token is accepted until `exp` plus the clock tolerance, so a revocation
 * is recorded until then as well, never just until `exp`.
 *
 * Hot path: a token verified once is kept in a bounded cache for as long as
 * it is accepted (and so no longer than its revocation would be recorded),
 * so later requests skip the signature check; the revocation lookup still
 * runs on every request (see StatusCache for the optional bound).
 *
 * @example
 * const { token } = tokens.issue('alice', { permissions: ['agents.*'], ttlSeconds: 3600 })
 * const principal = await tokens.verify(token)  // throws AuthenticationError (401)
 * await tokens.revoke(token)
 */
export class TokenService {
  private readonly cache: VerifiedTokenCache
  private readonly revoked: StatusCache<boolean>
  private readonly now: () => number

  constructor(private readonly options: TokenServiceOptions) {
    this.now = options.now ?? Date.now
    this.cache = new VerifiedTokenCache(options.cacheSize ?? 10_000, this.now)
    this.revoked = new StatusCache(options.statusCacheMs ?? 0, 10_000, this.now)
  }

  get algorithm(): string {
    return this.options.keys.algorithm
  }

  /** Signs a token for `subject`; throws E_INVALID_INPUT for a bad subject, permission or lifetime. */
  issue(subject: string, options: IssueOptions = {}): IssuedToken {
    const { keys, issuer, audience, defaultTtlSeconds, maxTtlSeconds } = this.options
    if (!keys.signingKey) {
      throw new E_INVALID_CONFIG([`JWT_PRIVATE_KEY_PATH is required to issue ${keys.algorithm} tokens (only the public key is configured)`])
    }
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > 256) {
      throw new E_INVALID_INPUT('The subject must be a string of 1 to 256 characters')
    }
    const permissions = [...(options.permissions ?? [])]
    const bad = permissions.find((permission) => typeof permission !== 'string' || !PERMISSION_SHAPE.test(permission))
    if (bad !== undefined) throw new E_INVALID_INPUT(`Invalid permission ${JSON.stringify(bad)}`)
    const ttl = options.ttlSeconds ?? defaultTtlSeconds
    if (!Number.isFinite(ttl) || ttl < 1 || ttl > maxTtlSeconds) {
      throw new E_INVALID_INPUT(`The token lifetime must be between 1 second and JWT_MAX_TTL (${maxTtlSeconds}s)`)
    }

    const extra: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(options.claims ?? {})) if (!RESERVED_CLAIMS.has(name)) extra[name] = value
    const iat = Math.floor(this.now() / 1000)
    const exp = iat + Math.floor(ttl)
    const jti = randomUUID()
    const token = jwt.sign({ ...extra, sub: subject, permissions, jti, iat, exp }, keys.signingKey, {
      algorithm: keys.algorithm,
      issuer,
      audience,
    })
    return { token, jti, subject, permissions, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) }
  }

  /** The principal a valid, unrevoked token stands for; AuthenticationError otherwise. */
  async verify(token: string): Promise<Principal> {
    const cached = this.cache.get(token)
    if (cached) {
      await this.assertNotRevoked(cached.jti)
      return cached.principal
    }
    const verified = this.check(token, 'verify')
    await this.assertNotRevoked(verified.jti)
    this.cache.set(token, verified)
    return verified.principal
  }

  /**
   * Revokes a token (given whole: its signature is checked and its own `exp`
   * bounds the record) or a bare `jti` (kept for as long as any token
   * carrying it could be accepted: JWT_MAX_TTL plus the clock tolerance on
   * `iat`, on the lifetime and on `exp`). The record lasts until `exp` plus
   * the clock tolerance, as long as verification accepts the token. Takes
   * effect at once in this process and, through the shared store, in every
   * other one.
   */
  async revoke(tokenOrJti: string): Promise<RevokedToken> {
    const toleranceMs = this.options.clockToleranceSeconds * 1000
    let jti: string
    let expiresAt: Date
    let recordedUntil: Date
    if (TOKEN_SHAPE.test(tokenOrJti)) {
      let verified: VerifiedToken
      try {
        verified = this.check(tokenOrJti, 'revoke')
      } catch (error) {
        const reason = error instanceof AuthenticationError ? error.reason : 'malformed'
        throw new E_INVALID_INPUT(`Not a token signed with this application's key (${reason})`, { cause: error })
      }
      jti = verified.jti
      expiresAt = new Date(verified.expiresAt)
      recordedUntil = new Date(verified.acceptedUntil)
      if (verified.acceptedUntil <= this.now()) return { jti, expiresAt, recordedUntil, alreadyExpired: true }
    } else if (JTI_SHAPE.test(tokenOrJti)) {
      jti = tokenOrJti
      // A token alive now has `iat` <= now + tolerance and `exp` - `iat` <= JWT_MAX_TTL + tolerance (see check).
      expiresAt = new Date(this.now() + this.options.maxTtlSeconds * 1000 + 2 * toleranceMs)
      recordedUntil = new Date(expiresAt.getTime() + toleranceMs)
    } else {
      throw new E_INVALID_INPUT('Expected a JWT or a token id (jti)')
    }
    await this.options.revocations.revoke(jti, recordedUntil)
    this.cache.forgetJti(jti)
    this.revoked.set(jti, true)
    return { jti, expiresAt, recordedUntil, alreadyExpired: false }
  }

  private async assertNotRevoked(jti: string): Promise<void> {
    const revoked = await this.revoked.get(jti, () => this.options.revocations.isRevoked(jti))
    if (revoked) throw new AuthenticationError('revoked')
  }

  /**
   * Signature, algorithm, issuer, audience, times and required claims; no
   * store access. `revoke` mode skips the time checks (`exp`, `nbf`, `iat`):
   * a token not valid yet may become so, and must be revocable before.
   */
  private check(token: string, mode: CheckMode): VerifiedToken {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) throw new AuthenticationError('malformed')
    const { keys, issuer, audience, clockToleranceSeconds, maxTtlSeconds } = this.options
    if (headerAlgorithm(token) !== keys.algorithm) throw new AuthenticationError('wrong_algorithm')

    const nowSeconds = Math.floor(this.now() / 1000)
    let payload: jwt.JwtPayload
    try {
      const decoded = jwt.verify(token, keys.verifyKey, {
        algorithms: [keys.algorithm],
        issuer,
        audience,
        clockTolerance: clockToleranceSeconds,
        clockTimestamp: nowSeconds,
        ignoreExpiration: mode === 'revoke',
        ignoreNotBefore: mode === 'revoke',
      })
      if (typeof decoded === 'string') throw new AuthenticationError('invalid_claims')
      payload = decoded
    } catch (error) {
      if (error instanceof AuthenticationError) throw error
      throw new AuthenticationError(reasonOf(error), error)
    }

    const { sub, jti, iat, exp } = payload
    const permissions = payload.permissions ?? []
    const valid =
      typeof sub === 'string' &&
      sub.length > 0 &&
      typeof jti === 'string' &&
      JTI_SHAPE.test(jti) &&
      typeof iat === 'number' &&
      typeof exp === 'number' &&
      // A token living longer than JWT_MAX_TTL could outlive the revocation of its bare jti.
      exp - iat <= maxTtlSeconds + clockToleranceSeconds &&
      Array.isArray(permissions) &&
      permissions.every((permission) => typeof permission === 'string')
    if (!valid) throw new AuthenticationError('invalid_claims')
    // jsonwebtoken checks `iat` only with maxAge: a token issued in the future would otherwise pass,
    // and live past its lifetime as the clock catches up.
    if (mode === 'verify' && iat > nowSeconds + clockToleranceSeconds) throw new AuthenticationError('not_yet_valid')

    const principal: Principal = Object.freeze({
      id: sub,
      type: 'user' as const,
      permissions: Object.freeze([...(permissions as string[])]),
      claims: Object.freeze({ ...payload }),
    })
    // jsonwebtoken refuses once floor(now / 1000) >= exp + tolerance: this is the first refused ms.
    return { principal, jti, expiresAt: exp * 1000, acceptedUntil: Math.ceil(exp + clockToleranceSeconds) * 1000 }
  }
}
