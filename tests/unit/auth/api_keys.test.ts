import type { Knex } from 'knex'
import { ApiKeyService } from '../../../framework/auth/api_keys/api_key_service'
import { hashApiKey, sameDigest } from '../../../framework/auth/api_keys/api_key_secret'
import { DatabaseApiKeyStore } from '../../../framework/auth/api_keys/database_api_key_store'
import { AuthenticationError } from '../../../framework/auth/authentication_error'
import { Clock, authDatabase, dropAuthTables } from './helpers'

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AuthenticationError) return error.reason
    return (error as { code?: string }).code ?? String(error)
  }
  throw new Error('expected a failure')
}

describe('API keys', () => {
  let knex: Knex
  let close: () => Promise<void>
  let clock: Clock
  let keys: ApiKeyService

  beforeAll(async () => ({ knex, close } = await authDatabase()))
  afterAll(() => close())
  beforeEach(() => {
    clock = new Clock(Date.now())
    keys = new ApiKeyService(new DatabaseApiKeyStore(() => knex), { now: clock.now, usageFlushIntervalMs: 60_000 })
  })
  afterEach(() => keys.close())

  it('creates `lv_` + 32 random URL-safe bytes and stores only the SHA-256', async () => {
    const { key, record } = await keys.create('ci', { permissions: ['agents.*'] })
    expect(key).toMatch(/^lv_[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32)
    expect(record).toMatchObject({ name: 'ci', permissions: ['agents.*'], expiresAt: null, usageCount: 0, revokedAt: null })
    const row = await knex('auth_api_keys').where('id', record.id).first()
    expect(row.key_hash).toBe(hashApiKey(key))
    expect(JSON.stringify(row)).not.toContain(key.slice(3))
  })

  it('verifies a key into an api_key principal with its permissions', async () => {
    const { key, record } = await keys.create('billing', { permissions: ['invoices.read'] })
    const principal = await keys.verify(key)
    expect(principal).toEqual({ id: record.id, type: 'api_key', permissions: ['invoices.read'], claims: { name: 'billing' } })
    expect(Object.isFrozen(principal)).toBe(true)
  })

  it('refuses unknown, malformed, revoked and expired keys with 401', async () => {
    const unknown = `lv_${'A'.repeat(43)}`
    expect(await reason(keys.verify(unknown))).toBe('unknown_key')
    expect(await reason(keys.verify('not-a-key'))).toBe('malformed')
    expect(await reason(keys.verify(''))).toBe('malformed')

    const revoked = await keys.create('old')
    await keys.verify(revoked.key)
    await keys.revoke(revoked.record.id)
    expect(await reason(keys.verify(revoked.key))).toBe('key_revoked')

    const expiring = await keys.create('temp', { expiresInSeconds: 60 })
    await keys.verify(expiring.key)
    clock.advance(60)
    expect(await reason(keys.verify(expiring.key))).toBe('key_expired')
    await expect(keys.verify(unknown)).rejects.toMatchObject({ code: 'E_UNAUTHORIZED', status: 401 })
  })

  it('sees a revocation made through another service on the same store at the next request', async () => {
    const other = new ApiKeyService(new DatabaseApiKeyStore(() => knex))
    const { key, record } = await keys.create('shared')
    await keys.verify(key)
    await other.revoke(record.id)
    expect(await reason(keys.verify(key))).toBe('key_revoked')
    await other.close()
  })

  it('answers E_NOT_FOUND when revoking an unknown id, and E_INVALID_INPUT for a bad name, permission or expiry', async () => {
    await expect(keys.revoke('ak_missing')).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
    await expect(keys.create('')).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
    await expect(keys.create('bad\nname')).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
    await expect(keys.create('x', { permissions: ['a b'] })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
    await expect(keys.create('x', { expiresInSeconds: -1 })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
  })

  it('counts uses in memory and writes them in one batch, adding to what other processes wrote', async () => {
    const { key, record } = await keys.create('counted')
    for (let i = 0; i < 3; i++) await keys.verify(key)
    expect(Number((await knex('auth_api_keys').where('id', record.id).first()).usage_count)).toBe(0)
    await keys.flushUsage()

    const other = new ApiKeyService(new DatabaseApiKeyStore(() => knex), { now: () => clock.now() + 5000 })
    await other.verify(key)
    await other.close()
    const stored = await keys.find(record.id)
    expect(stored?.usageCount).toBe(4)
    expect(stored?.lastUsedAt?.getTime()).toBe(clock.now() + 5000)
  })

  it('lists keys newest first with status fields and never a key or hash', async () => {
    const created = await keys.create('listed', { permissions: ['a.b'], expiresInSeconds: 3600 })
    const listed = (await keys.list()).find((record) => record.id === created.record.id)
    expect(listed).toMatchObject({ name: 'listed', permissions: ['a.b'], revokedAt: null })
    expect(listed?.expiresAt?.getTime()).toBe(clock.now() + 3600 * 1000)
    expect(JSON.stringify(await keys.list())).not.toMatch(/lv_|[0-9a-f]{64}/)
  })

  it('compares digests in constant time and only equal digests match', () => {
    const digest = hashApiKey('lv_x')
    expect(sameDigest(digest, hashApiKey('lv_x'))).toBe(true)
    expect(sameDigest(digest, hashApiKey('lv_y'))).toBe(false)
    expect(sameDigest(digest, digest.slice(0, 10))).toBe(false)
    expect(sameDigest('', '')).toBe(false)
  })

  it('says how to fix a missing table', async () => {
    const { knex: bare, close: closeBare } = await authDatabase()
    await dropAuthTables(bare)
    const service = new ApiKeyService(new DatabaseApiKeyStore(() => bare))
    await expect(service.create('x')).rejects.toMatchObject({ code: 'E_NOT_MIGRATED' })
    await closeBare()
  })
})
