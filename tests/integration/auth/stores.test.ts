import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { ApiKeyService } from '../../../framework/auth/api_keys/api_key_service'
import type { ApiKeyStore } from '../../../framework/auth/api_keys/api_key_store'
import { DatabaseApiKeyStore } from '../../../framework/auth/api_keys/database_api_key_store'
import { RedisApiKeyStore } from '../../../framework/auth/api_keys/redis_api_key_store'
import { loadJwtKeys } from '../../../framework/auth/jwt/jwt_keys'
import { TokenService } from '../../../framework/auth/jwt/token_service'
import { DatabaseRevocationStore } from '../../../framework/auth/revocation/database_revocation_store'
import { RedisRevocationStore } from '../../../framework/auth/revocation/redis_revocation_store'
import type { RevocationStore } from '../../../framework/auth/revocation/revocation_store'
import { DatabaseThreadOwnerStore } from '../../../framework/auth/threads/database_thread_owner_store'
import { RedisThreadOwnerStore } from '../../../framework/auth/threads/redis_thread_owner_store'
import type { ThreadOwnerStore } from '../../../framework/auth/threads/thread_owner_store'
import { ThreadOwnership } from '../../../framework/auth/threads/thread_ownership'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { up } from '../../../database/migrations/20260102000000_create_auth_tables'
import { POSTGRES_URL, REDIS_URL, describeWithPostgres, describeWithRedis } from '../../helpers/services'

const SECRET = randomBytes(48).toString('base64url')

/** One process's view of a shared store: its own connection. */
interface Connection {
  revocations: RevocationStore
  apiKeys: ApiKeyStore
  threads: ThreadOwnerStore
  close(): Promise<void>
}

function tokens(revocations: RevocationStore, now?: () => number): TokenService {
  return new TokenService({
    now,
    keys: loadJwtKeys({ algorithm: 'HS256', secret: SECRET, basePath: tmpdir() }),
    issuer: 'langvel',
    audience: 'langvel',
    clockToleranceSeconds: 5,
    defaultTtlSeconds: 3600,
    maxTtlSeconds: 86400,
    revocations,
  })
}

function sharedStoreSuite(connect: () => Connection) {
  let a: Connection
  let b: Connection
  beforeAll(() => {
    a = connect()
    b = connect()
  })
  afterAll(async () => {
    await a.close()
    await b.close()
  })

  it('refuses on one connection a token revoked through another', async () => {
    const first = tokens(a.revocations)
    const second = tokens(b.revocations)
    const { token } = first.issue('alice')
    await expect(second.verify(token)).resolves.toMatchObject({ id: 'alice' })
    await first.revoke(token)
    await expect(second.verify(token)).rejects.toMatchObject({ code: 'E_UNAUTHORIZED', reason: 'revoked' })
  })

  it('refuses a token revoked after its exp while the clock tolerance still accepts it, on every connection', async () => {
    // Issued 61 s ago for 60 s: past exp, within the 5 s tolerance.
    const { token } = tokens(a.revocations, () => Date.now() - 61_000).issue('alice', { ttlSeconds: 60 })
    const first = tokens(a.revocations)
    const second = tokens(b.revocations)
    await expect(second.verify(token)).resolves.toMatchObject({ id: 'alice' })
    await expect(first.revoke(token)).resolves.toMatchObject({ alreadyExpired: false })
    await expect(second.verify(token)).rejects.toMatchObject({ code: 'E_UNAUTHORIZED', reason: 'revoked' })
  })

  it('refuses unknown, revoked and expired API keys, and adds up usage written by several processes', async () => {
    const first = new ApiKeyService(a.apiKeys)
    const second = new ApiKeyService(b.apiKeys)
    const { key, record } = await first.create('shared', { permissions: ['agents.*'] })
    await first.verify(key)
    await second.verify(key)
    await second.verify(key)
    await Promise.all([first.flushUsage(), second.flushUsage()])
    expect((await first.find(record.id))?.usageCount).toBe(3)
    expect((await first.find(record.id))?.lastUsedAt).toBeInstanceOf(Date)

    await expect(second.verify(`lv_${randomBytes(32).toString('base64url')}`)).rejects.toMatchObject({ reason: 'unknown_key' })
    await first.revoke(record.id)
    await expect(second.verify(key)).rejects.toMatchObject({ reason: 'key_revoked' })

    const past = new ApiKeyService(a.apiKeys, { now: () => Date.now() - 120_000 })
    const expired = await past.create('expired', { expiresInSeconds: 60 })
    await expect(second.verify(expired.key)).rejects.toMatchObject({ reason: 'key_expired' })
    expect((await second.list()).map((item) => item.id)).toEqual(expect.arrayContaining([record.id, expired.record.id]))
    await Promise.all([first.close(), second.close(), past.close()])
  })

  it('gives a thread to exactly one of many principals claiming it at once from two connections', async () => {
    const threadId = `race-${randomBytes(4).toString('hex')}`
    const owners = [new ThreadOwnership(a.threads), new ThreadOwnership(b.threads)]
    const claims = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) => owners[index % 2].claim(threadId, { id: `u${index}`, type: 'user', permissions: [] })),
    )
    const winners = claims.flatMap((claim, index) => (claim.status === 'fulfilled' ? [index] : []))
    expect(winners).toHaveLength(1)
    expect(claims.filter((claim) => claim.status === 'rejected').every((claim) => (claim as PromiseRejectedResult).reason.code === 'E_THREAD_NOT_FOUND')).toBe(true)
    await expect(owners[1].assertCanAccess(threadId, { id: `u${winners[0]}`, type: 'user', permissions: [] })).resolves.toBeUndefined()
  })

  it("lists exactly an owner's threads and releases a thread only for its owner (erasure), seen from any connection", async () => {
    const run = randomBytes(4).toString('hex')
    const owner = `user:erase-${run}`
    await a.threads.claim(`${run}-t1`, owner)
    await b.threads.claim(`${run}-t2`, owner)
    await a.threads.claim(`${run}-t3`, `${owner}0`)
    expect(await b.threads.threadsOf(owner)).toEqual([`${run}-t1`, `${run}-t2`])
    expect(await a.threads.release(`${run}-t3`, owner)).toBe(false)
    expect(await b.threads.release(`${run}-t1`, owner)).toBe(true)
    expect(await a.threads.release(`${run}-t1`, owner)).toBe(false)
    expect(await a.threads.owner(`${run}-t1`)).toBeUndefined()
    expect(await a.threads.threadsOf(owner)).toEqual([`${run}-t2`])
    expect(await a.threads.threadsOf(`${owner}0`)).toEqual([`${run}-t3`])
  })
}

describeWithPostgres('auth stores on PostgreSQL', () => {
  const database = `langvel_auth_${randomBytes(6).toString('hex')}`
  const urlOf = (name: string) => {
    const url = new URL(POSTGRES_URL)
    url.pathname = `/${name}`
    return url.toString()
  }
  const admin = () => new DatabaseManager({ url: urlOf('postgres'), basePath: tmpdir(), pool: { min: 0, max: 1 } })

  beforeAll(async () => {
    const db = admin()
    await db.connection().raw(`create database ${database}`)
    await db.close()
    const target = new DatabaseManager({ url: urlOf(database), basePath: tmpdir(), pool: { min: 0, max: 1 } })
    await up(target.connection())
    await target.close()
  })
  afterAll(async () => {
    const db = admin()
    await db.connection().raw(`drop database if exists ${database} with (force)`)
    await db.close()
  })

  sharedStoreSuite(() => {
    const db = new DatabaseManager({ url: urlOf(database), basePath: tmpdir(), pool: { min: 0, max: 4 } })
    const knex = () => db.connection()
    return {
      revocations: new DatabaseRevocationStore(knex),
      apiKeys: new DatabaseApiKeyStore(knex),
      threads: new DatabaseThreadOwnerStore(knex),
      close: () => db.close(),
    }
  })
})

describeWithRedis('auth stores on Redis', () => {
  const prefix = `test:auth-stores:${randomBytes(4).toString('hex')}:`
  const inspector = new RedisManager({ url: REDIS_URL, prefix })

  afterAll(async () => {
    const keys = await inspector.connection().keys(`${prefix}*`)
    if (keys.length > 0) await inspector.connection().del(...keys)
    await inspector.close()
  })

  sharedStoreSuite(() => {
    const manager = new RedisManager({ url: REDIS_URL, prefix })
    const redis = () => manager.connection()
    return {
      revocations: new RedisRevocationStore(redis, { prefix }),
      apiKeys: new RedisApiKeyStore(redis, { prefix }),
      threads: new RedisThreadOwnerStore(redis, { prefix }),
      close: () => manager.close(),
    }
  })

  it('gives each revoked id its own expiry: its token’s exp plus the clock tolerance', async () => {
    const service = tokens(new RedisRevocationStore(() => inspector.connection(), { prefix }))
    const short = service.issue('alice', { ttlSeconds: 60 })
    const long = service.issue('alice', { ttlSeconds: 3600 })
    await service.revoke(short.token)
    await service.revoke(long.token)
    const redis = inspector.connection()
    const [shortExpiry, longExpiry] = await Promise.all([redis.pexpiretime(`${prefix}auth:revoked:${short.jti}`), redis.pexpiretime(`${prefix}auth:revoked:${long.jti}`)])
    expect(shortExpiry).toBe(short.expiresAt.getTime() + 5000)
    expect(longExpiry).toBe(long.expiresAt.getTime() + 5000)
  })

  it('never stores an API key, only its hash', async () => {
    const service = new ApiKeyService(new RedisApiKeyStore(() => inspector.connection(), { prefix }))
    const { key, record } = await service.create('hashed')
    const fields = await inspector.connection().hgetall(`${prefix}auth:api_key:${record.id}`)
    expect(JSON.stringify(fields)).not.toContain(key.slice(3))
    await service.close()
  })
})
