import { createHmac, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import jwt from 'jsonwebtoken'
import type { Knex } from 'knex'
import { AuthenticationError } from '../../../framework/auth/authentication_error'
import { loadJwtKeys } from '../../../framework/auth/jwt/jwt_keys'
import type { TokenService } from '../../../framework/auth/jwt/token_service'
import { DatabaseRevocationStore } from '../../../framework/auth/revocation/database_revocation_store'
import { Clock, SECRET, authDatabase, keyFiles, segment, tokenService } from './helpers'

/** The reason an AuthenticationError carries, or the code of any other error. */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AuthenticationError) {
      expect(error.code).toBe('E_UNAUTHORIZED')
      expect(error.status).toBe(401)
      return error.reason
    }
    return (error as { code?: string }).code ?? String(error)
  }
  throw new Error('expected a failure')
}

const claims = (overrides: Record<string, unknown> = {}) => {
  const iat = Math.floor(Date.now() / 1000)
  return { sub: 'alice', permissions: ['agents.*'], jti: 'hand-made-1', iat, exp: iat + 600, iss: 'langvel', aud: 'langvel', ...overrides }
}

describe('TokenService', () => {
  let knex: Knex
  let close: () => Promise<void>
  let tokens: TokenService

  beforeAll(async () => ({ knex, close } = await authDatabase()))
  afterAll(() => close())
  beforeEach(() => {
    tokens = tokenService(knex)
  })

  it('issues a token carrying sub, permissions, jti, iat, exp, iss and aud, and verifies it into a principal', async () => {
    const issued = tokens.issue('alice', { permissions: ['agents.*', 'threads.read'], ttlSeconds: 900 })
    const payload = jwt.decode(issued.token, { complete: true }) as jwt.Jwt & { payload: jwt.JwtPayload }
    expect(payload.header.alg).toBe('HS256')
    expect(payload.payload).toMatchObject({ sub: 'alice', permissions: ['agents.*', 'threads.read'], jti: issued.jti, iss: 'langvel', aud: 'langvel' })
    expect((payload.payload.exp as number) - (payload.payload.iat as number)).toBe(900)

    const principal = await tokens.verify(issued.token)
    expect(principal).toMatchObject({ id: 'alice', type: 'user', permissions: ['agents.*', 'threads.read'] })
    expect(Object.isFrozen(principal)).toBe(true)
    expect(Object.isFrozen(principal.permissions)).toBe(true)
  })

  it('keeps custom claims but never lets them override the registered ones', async () => {
    const issued = tokens.issue('alice', { claims: { tenant: 'acme', sub: 'mallory', permissions: ['*'], exp: 9999999999 } })
    const principal = await tokens.verify(issued.token)
    expect(principal.id).toBe('alice')
    expect(principal.permissions).toEqual([])
    expect(principal.claims).toMatchObject({ tenant: 'acme' })
  })

  it('refuses to issue with a bad subject, permission or lifetime', () => {
    const code = (fn: () => unknown) => {
      try {
        fn()
      } catch (error) {
        return (error as { code: string }).code
      }
      return 'none'
    }
    expect(code(() => tokens.issue(''))).toBe('E_INVALID_INPUT')
    expect(code(() => tokens.issue('a', { permissions: ['has space'] }))).toBe('E_INVALID_INPUT')
    expect(code(() => tokens.issue('a', { ttlSeconds: 0 }))).toBe('E_INVALID_INPUT')
    expect(code(() => tokens.issue('a', { ttlSeconds: 31 * 86400 }))).toBe('E_INVALID_INPUT')
  })

  describe('refuses, always with 401 E_UNAUTHORIZED', () => {
    it('garbage', async () => {
      expect(await failure(tokens.verify('not a token'))).toBe('malformed')
      expect(await failure(tokens.verify('a.b.c'))).toBe('wrong_algorithm')
      expect(await failure(tokens.verify(`${segment({ alg: 'HS256', typ: 'JWT' })}.!!!.x`))).toBe('malformed')
      expect(await failure(tokens.verify('x'.repeat(10_000)))).toBe('malformed')
    })

    it('a tampered payload', async () => {
      const [header, , signature] = tokens.issue('alice', { permissions: ['agents.read'] }).token.split('.')
      const forged = `${header}.${segment(claims({ permissions: ['*'] }))}.${signature}`
      expect(await failure(tokens.verify(forged))).toBe('invalid_signature')
    })

    it('a token signed with another secret', async () => {
      const token = jwt.sign(claims(), randomBytes(48).toString('base64url'), { algorithm: 'HS256' })
      expect(await failure(tokens.verify(token))).toBe('invalid_signature')
    })

    it('`alg: none`, with or without a signature', async () => {
      const unsigned = `${segment({ alg: 'none', typ: 'JWT' })}.${segment(claims())}.`
      expect(await failure(tokens.verify(unsigned))).toBe('wrong_algorithm')
      const noneWithSig = `${segment({ alg: 'none' })}.${segment(claims())}.${createHmac('sha256', SECRET).update('x').digest('base64url')}`
      expect(await failure(tokens.verify(noneWithSig))).toBe('wrong_algorithm')
    })

    it('another algorithm, even signed with the right secret (HS512, HS384)', async () => {
      for (const algorithm of ['HS512', 'HS384'] as const) {
        const token = jwt.sign(claims(), SECRET, { algorithm })
        expect(await failure(tokens.verify(token))).toBe('wrong_algorithm')
      }
    })

    it('a header that claims HS256 over a token signed another way', async () => {
      const real = jwt.sign(claims(), SECRET, { algorithm: 'HS512' })
      const [, payload, signature] = real.split('.')
      expect(await failure(tokens.verify(`${segment({ alg: 'HS256', typ: 'JWT' })}.${payload}.${signature}`))).toBe('invalid_signature')
    })

    it('an expired token, past the clock tolerance', async () => {
      const clock = new Clock()
      const timed = tokenService(knex, { now: clock.now })
      const { token } = timed.issue('alice', { ttlSeconds: 60 })
      clock.advance(63)
      await expect(timed.verify(token)).resolves.toMatchObject({ id: 'alice' })
      clock.advance(3)
      expect(await failure(timed.verify(token))).toBe('expired')
    })

    it('a token issued in the future, beyond the clock tolerance', async () => {
      const clock = new Clock()
      const timed = tokenService(knex, { now: clock.now })
      const now = clock.ms / 1000
      const sign = (iat: number) => jwt.sign(claims({ iat, exp: iat + 600 }), SECRET, { algorithm: 'HS256' })
      expect(await failure(timed.verify(sign(now + 3600)))).toBe('not_yet_valid')
      expect(await failure(timed.verify(sign(now + 6)))).toBe('not_yet_valid')
      // Within the tolerance (5 s) an issuer whose clock runs a little ahead is fine.
      await expect(timed.verify(sign(now + 5))).resolves.toMatchObject({ id: 'alice' })
      // It would be accepted once the clock catches up, so it can be revoked before.
      await expect(timed.revoke(sign(now + 3600))).resolves.toMatchObject({ alreadyExpired: false })
    })

    it('wrong issuer or audience', async () => {
      expect(await failure(tokens.verify(jwt.sign(claims({ iss: 'someone-else' }), SECRET, { algorithm: 'HS256' })))).toBe('wrong_issuer')
      expect(await failure(tokens.verify(jwt.sign(claims({ aud: 'other-api' }), SECRET, { algorithm: 'HS256' })))).toBe('wrong_audience')
    })

    it('a token without sub, jti or exp, with malformed permissions, or living longer than JWT_MAX_TTL', async () => {
      const sign = (payload: Record<string, unknown>) => jwt.sign(payload, SECRET, { algorithm: 'HS256' })
      const { sub: _sub, ...noSub } = claims()
      const { jti: _jti, ...noJti } = claims()
      const { exp: _exp, ...noExp } = claims()
      expect(await failure(tokens.verify(sign(noSub)))).toBe('invalid_claims')
      expect(await failure(tokens.verify(sign(noJti)))).toBe('invalid_claims')
      expect(await failure(tokens.verify(sign(noExp)))).toBe('invalid_claims')
      expect(await failure(tokens.verify(sign(claims({ permissions: 'admin' }))))).toBe('invalid_claims')
      expect(await failure(tokens.verify(sign(claims({ permissions: [1] }))))).toBe('invalid_claims')
      const iat = Math.floor(Date.now() / 1000)
      expect(await failure(tokens.verify(sign(claims({ iat, exp: iat + 31 * 86400 }))))).toBe('invalid_claims')
    })

    it('a revoked token, given whole or by jti, even after it was cached', async () => {
      const first = tokens.issue('alice')
      await tokens.verify(first.token)
      const revoked = await tokens.revoke(first.token)
      expect(revoked).toMatchObject({ jti: first.jti, alreadyExpired: false })
      expect(revoked.expiresAt.getTime()).toBe(first.expiresAt.getTime())
      expect(revoked.recordedUntil.getTime()).toBe(first.expiresAt.getTime() + 5000)
      expect(await failure(tokens.verify(first.token))).toBe('revoked')

      const second = tokens.issue('alice')
      await tokens.verify(second.token)
      await tokens.revoke(second.jti)
      expect(await failure(tokens.verify(second.token))).toBe('revoked')
    })
  })

  it('sees a revocation recorded by another instance on the same store at the next request', async () => {
    const other = tokenService(knex)
    const { token } = tokens.issue('bob')
    await tokens.verify(token)
    await other.revoke(token)
    expect(await failure(tokens.verify(token))).toBe('revoked')
  })

  it('keeps each revoked id until its own token stops being accepted (exp plus the clock tolerance), then drops it', async () => {
    const clock = new Clock()
    const timed = tokenService(knex, { now: clock.now })
    const short = timed.issue('alice', { ttlSeconds: 60 })
    const long = timed.issue('alice', { ttlSeconds: 3600 })
    await timed.revoke(short.token)
    await timed.revoke(long.token)
    const rows = await knex('auth_revoked_tokens').whereIn('jti', [short.jti, long.jti]).orderBy('expires_at')
    expect(rows.map((row: { expires_at: number }) => Number(row.expires_at))).toEqual([short.expiresAt.getTime() + 5000, long.expiresAt.getTime() + 5000])

    clock.advance(120)
    await timed.revoke(timed.issue('carol').token)
    const left = (await knex('auth_revoked_tokens').whereIn('jti', [short.jti, long.jti])).map((row: { jti: string }) => row.jti)
    expect(left).toEqual([long.jti])
    expect(await failure(timed.verify(long.token))).toBe('revoked')
  })

  it('refuses a revoked token for as long as verification would accept it, the clock tolerance after exp included', async () => {
    const clock = new Clock()
    const timed = tokenService(knex, { now: clock.now })
    const { token } = timed.issue('alice', { ttlSeconds: 60 })
    await timed.verify(token)
    await timed.revoke(token)
    // Past exp, within the 5 s tolerance: an unrevoked token would still be accepted here.
    clock.advance(62)
    expect(await failure(timed.verify(token))).toBe('revoked')
    expect(await failure(tokenService(knex, { now: clock.now }).verify(token))).toBe('revoked')
    clock.ms += 2999
    expect(await failure(tokenService(knex, { now: clock.now }).verify(token))).toBe('revoked')
    clock.ms += 1
    expect(await failure(timed.verify(token))).toBe('expired')
  })

  it('records a revocation asked for after exp but within the clock tolerance', async () => {
    const clock = new Clock()
    const timed = tokenService(knex, { now: clock.now })
    const { token } = timed.issue('alice', { ttlSeconds: 60 })
    clock.advance(62)
    await expect(timed.verify(token)).resolves.toMatchObject({ id: 'alice' })
    await expect(timed.revoke(token)).resolves.toMatchObject({ alreadyExpired: false })
    expect(await failure(tokenService(knex, { now: clock.now }).verify(token))).toBe('revoked')
  })

  it('keeps a bare jti for as long as any token carrying it could be accepted', async () => {
    const clock = new Clock()
    const timed = tokenService(knex, { now: clock.now, maxTtlSeconds: 3600 })
    const revoked = await timed.revoke('some-token-id')
    // JWT_MAX_TTL, plus the tolerance on iat, on the lifetime and on exp.
    expect(revoked.recordedUntil.getTime()).toBe(clock.ms + 3600_000 + 3 * 5000)
    const [row] = await knex('auth_revoked_tokens').where('jti', 'some-token-id')
    expect(Number(row.expires_at)).toBe(revoked.recordedUntil.getTime())
  })

  it('reports an already expired token instead of recording it, and refuses what is neither a token nor an id', async () => {
    const clock = new Clock()
    const timed = tokenService(knex, { now: clock.now })
    const { token } = timed.issue('alice', { ttlSeconds: 60 })
    clock.advance(120)
    await expect(timed.revoke(token)).resolves.toMatchObject({ alreadyExpired: true })
    await expect(timed.revoke('spaces are not ids')).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
    const foreign = jwt.sign(claims(), randomBytes(48).toString('base64url'), { algorithm: 'HS256' })
    await expect(timed.revoke(foreign)).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
  })

  it('serves a cached verification no longer than the token lives', async () => {
    const clock = new Clock()
    const timed = tokenService(knex, { now: clock.now, clockToleranceSeconds: 0 })
    const { token } = timed.issue('alice', { ttlSeconds: 10 })
    await timed.verify(token)
    clock.advance(10)
    expect(await failure(timed.verify(token))).toBe('expired')
  })

  it('never serves a cached verification past exp plus the tolerance, when the revocation record may go', async () => {
    const clock = new Clock()
    const timed = tokenService(knex, { now: clock.now })
    const other = tokenService(knex, { now: clock.now })
    const { token } = timed.issue('alice', { ttlSeconds: 60 })
    await timed.verify(token)
    // Revoked through another instance: this one still holds the token in its cache.
    await other.revoke(token)
    clock.ms += 64_999
    expect(await failure(timed.verify(token))).toBe('revoked')
    clock.ms += 1
    expect(await failure(timed.verify(token))).toBe('expired')
  })

  it('does not verify the signature again for a cached token, and still checks revocation on every request', async () => {
    const store = new DatabaseRevocationStore(() => knex)
    const service = tokenService(knex, { revocations: store })
    const verify = jest.spyOn(jwt, 'verify')
    const lookups = jest.spyOn(store, 'isRevoked')
    try {
      const { token } = service.issue('alice')
      for (let i = 0; i < 5; i++) await service.verify(token)
      expect(verify).toHaveBeenCalledTimes(1)
      expect(lookups).toHaveBeenCalledTimes(5)
    } finally {
      verify.mockRestore()
      lookups.mockRestore()
    }
  })

  it('shares one revocation lookup among concurrent requests with the same token', async () => {
    const store = new DatabaseRevocationStore(() => knex)
    const service = tokenService(knex, { revocations: store })
    const lookups = jest.spyOn(store, 'isRevoked')
    try {
      const { token } = service.issue('alice')
      await service.verify(token)
      lookups.mockClear()
      await Promise.all(Array.from({ length: 20 }, () => service.verify(token)))
      expect(lookups).toHaveBeenCalledTimes(1)
    } finally {
      lookups.mockRestore()
    }
  })

  it('reuses a revocation lookup for at most AUTH_STATUS_CACHE_MS, and applies its own revocations at once', async () => {
    const clock = new Clock()
    const cached = tokenService(knex, { now: clock.now, statusCacheMs: 1000 })
    const other = tokenService(knex, { now: clock.now })
    const { token } = cached.issue('alice')
    await cached.verify(token)
    await other.revoke(token)
    // Within the bound this process may still trust its earlier answer...
    await expect(cached.verify(token)).resolves.toMatchObject({ id: 'alice' })
    clock.advance(1)
    // ...and never beyond it.
    expect(await failure(cached.verify(token))).toBe('revoked')

    const mine = cached.issue('alice')
    await cached.verify(mine.token)
    await cached.revoke(mine.token)
    expect(await failure(cached.verify(mine.token))).toBe('revoked')
  })
})

describe('TokenService with RS256 and ES256 key files', () => {
  let files: ReturnType<typeof keyFiles>
  let knex: Knex
  let close: () => Promise<void>
  beforeAll(async () => {
    files = keyFiles()
    ;({ knex, close } = await authDatabase())
  })
  afterAll(async () => {
    files.cleanup()
    await close()
  })

  it('issues and verifies with RS256 and ES256', async () => {
    for (const [algorithm, privateKeyPath, publicKeyPath] of [
      ['RS256', files.rsaPrivate, files.rsaPublic],
      ['ES256', files.ecPrivate, files.ecPublic],
    ] as const) {
      const service = tokenService(knex, { keys: loadJwtKeys({ algorithm, privateKeyPath, publicKeyPath, basePath: tmpdir() }) })
      const { token } = service.issue('alice', { permissions: ['x'] })
      expect(jwt.decode(token, { complete: true })?.header.alg).toBe(algorithm)
      await expect(service.verify(token)).resolves.toMatchObject({ id: 'alice', permissions: ['x'] })
    }
  })

  it('refuses an HS256 token signed with the RSA public key (algorithm confusion)', async () => {
    const service = tokenService(knex, { keys: loadJwtKeys({ algorithm: 'RS256', publicKeyPath: files.rsaPublic, basePath: tmpdir() }) })
    const [, payload] = jwt.sign(claims(), 'x'.repeat(32), { algorithm: 'HS256' }).split('.')
    const header = segment({ alg: 'HS256', typ: 'JWT' })
    const signature = createHmac('sha256', readFileSync(files.rsaPublic)).update(`${header}.${payload}`).digest('base64url')
    expect(await failure(service.verify(`${header}.${payload}.${signature}`))).toBe('wrong_algorithm')
  })

  it('verifies with only the public key but cannot issue without the private key', () => {
    const service = tokenService(knex, { keys: loadJwtKeys({ algorithm: 'ES256', publicKeyPath: files.ecPublic, basePath: tmpdir() }) })
    expect(() => service.issue('alice')).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
  })

  it('refuses missing or mismatched key files as configuration errors', () => {
    const load = (source: Parameters<typeof loadJwtKeys>[0]) => () => loadJwtKeys(source)
    const invalid = expect.objectContaining({ code: 'E_INVALID_CONFIG' })
    expect(load({ algorithm: 'HS256', basePath: tmpdir() })).toThrow(invalid)
    expect(load({ algorithm: 'HS256', secret: 'short', basePath: tmpdir() })).toThrow(invalid)
    expect(load({ algorithm: 'RS256', basePath: tmpdir() })).toThrow(invalid)
    expect(load({ algorithm: 'RS256', publicKeyPath: 'missing.pub', basePath: files.dir })).toThrow(invalid)
    expect(load({ algorithm: 'RS256', publicKeyPath: files.ecPublic, basePath: tmpdir() })).toThrow(invalid)
    expect(load({ algorithm: 'ES256', publicKeyPath: files.rsaPublic, basePath: tmpdir() })).toThrow(invalid)
    expect(load({ algorithm: 'ES256', publicKeyPath: files.ecPrivate.replace('ec.key', 'rsa.key'), basePath: tmpdir() })).toThrow(invalid)
  })
})
