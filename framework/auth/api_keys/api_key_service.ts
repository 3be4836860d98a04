import type { Principal } from '../../contracts/request_context'
import { E_INVALID_INPUT, E_NOT_FOUND } from '../../errors'
import type { Logger } from '../../logger'
import { AuthenticationError } from '../authentication_error'
import { StatusCache } from '../status_cache'
import { generateApiKey, generateApiKeyId, hashApiKey, looksLikeApiKey, sameDigest } from './api_key_secret'
import type { ApiKeyRecord, ApiKeyStore, StoredApiKey } from './api_key_store'
import { UsageRecorder } from './usage_recorder'

export interface ApiKeyServiceOptions {
  /** How long a looked-up key record may be reused (AUTH_STATUS_CACHE_MS); 0 asks the store every request. */
  statusCacheMs?: number
  usageFlushIntervalMs?: number
  logger?: Logger
  now?: () => number
}

export interface CreateApiKeyOptions {
  permissions?: readonly string[]
  /** Seconds until the key stops working; never when omitted. */
  expiresInSeconds?: number
}

export interface CreatedApiKey {
  /** The key itself: shown once, never stored. */
  key: string
  record: ApiKeyRecord
}

const PERMISSION_SHAPE = /^[^\s,]{1,200}$/

/** 1 to 200 characters, none of them control characters (names are printed in tables and logs). */
function validName(name: string): boolean {
  return name.length > 0 && name.length <= 200 && ![...name].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)
}

/**
 * API keys: `lv_` plus 32 random bytes, shown once at creation; the store
 * keeps only the SHA-256. Verifying finds the record by hash (an index
 * lookup) and confirms it with a constant-time comparison, then checks
 * revocation and expiry. Uses are counted in memory and written in batches.
 *
 * @example
 * const { key, record } = await apiKeys.create('ci', { permissions: ['agents.*'], expiresInSeconds: 30 * 86400 })
 * const principal = await apiKeys.verify(key)
 * await apiKeys.revoke(record.id)
 */
export class ApiKeyService {
  private readonly records: StatusCache<StoredApiKey | undefined>
  private readonly usage: UsageRecorder
  private readonly now: () => number

  constructor(
    private readonly store: ApiKeyStore,
    options: ApiKeyServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now
    this.records = new StatusCache(options.statusCacheMs ?? 0, 10_000, this.now)
    this.usage = new UsageRecorder(store, { flushIntervalMs: options.usageFlushIntervalMs, logger: options.logger })
  }

  async create(name: string, options: CreateApiKeyOptions = {}): Promise<CreatedApiKey> {
    if (typeof name !== 'string' || !validName(name)) throw new E_INVALID_INPUT('The key name must be 1 to 200 printable characters')
    const permissions = [...(options.permissions ?? [])]
    const bad = permissions.find((permission) => typeof permission !== 'string' || !PERMISSION_SHAPE.test(permission))
    if (bad !== undefined) throw new E_INVALID_INPUT(`Invalid permission ${JSON.stringify(bad)}`)
    const expires = options.expiresInSeconds
    if (expires !== undefined && !(Number.isFinite(expires) && expires > 0)) throw new E_INVALID_INPUT('The expiry must be a positive duration')

    const key = generateApiKey()
    const now = this.now()
    const record: ApiKeyRecord = {
      id: generateApiKeyId(),
      name,
      permissions,
      createdAt: new Date(now),
      expiresAt: expires === undefined ? null : new Date(now + expires * 1000),
      lastUsedAt: null,
      usageCount: 0,
      revokedAt: null,
    }
    await this.store.insert({ ...record, hash: hashApiKey(key) })
    return { key, record }
  }

  /** The principal of a valid key; AuthenticationError for unknown, revoked or expired keys. */
  async verify(key: string): Promise<Principal> {
    if (typeof key !== 'string' || !looksLikeApiKey(key)) throw new AuthenticationError('malformed')
    const hash = hashApiKey(key)
    const stored = await this.records.get(hash, () => this.store.findByHash(hash), (value) => value !== undefined)
    // The index found the row; the comparison must not be the part that leaks timing.
    if (!stored || !sameDigest(stored.hash, hash)) throw new AuthenticationError('unknown_key')
    if (stored.revokedAt) throw new AuthenticationError('key_revoked')
    const now = this.now()
    if (stored.expiresAt && stored.expiresAt.getTime() <= now) throw new AuthenticationError('key_expired')
    this.usage.record(stored.id, now)
    return Object.freeze({
      id: stored.id,
      type: 'api_key' as const,
      permissions: Object.freeze([...stored.permissions]),
      claims: Object.freeze({ name: stored.name }),
    })
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.list()
  }

  find(id: string): Promise<ApiKeyRecord | undefined> {
    return this.store.find(id)
  }

  /** Revokes at once in this process and, through the store, everywhere; E_NOT_FOUND for an unknown id. */
  async revoke(id: string): Promise<ApiKeyRecord> {
    const revoked = await this.store.revoke(id, new Date(this.now()))
    if (!revoked) throw new E_NOT_FOUND(`API key ${JSON.stringify(id)}`)
    this.records.deleteWhere((record) => record?.id === id)
    return (await this.store.find(id)) as ApiKeyRecord
  }

  /** Writes the usage counted so far (the provider calls it on shutdown). */
  flushUsage(): Promise<void> {
    return this.usage.flush()
  }

  close(): Promise<void> {
    return this.usage.close()
  }
}
