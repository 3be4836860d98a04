import type { Redis } from 'ioredis'
import { guardStore } from '../store_errors'
import type { ApiKeyRecord, ApiKeyStore, ApiKeyUsage, StoredApiKey } from './api_key_store'

/** Adds to the count and moves last_used_at forward only, on a key that still exists. */
const RECORD_USAGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'usage_count', ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'last_used_at') or '0') or 0
if tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[1], 'last_used_at', ARGV[2]) end
return 1
`

const time = (value: string | undefined): Date | null => (value ? new Date(Number(value)) : null)

/**
 * API keys in Redis: a hash per key (`<prefix>auth:api_key:<id>`), an index
 * from key hash to id (`<prefix>auth:api_key_hash:<sha256>`) and a set of
 * ids for listing. Records are kept after expiry or revocation so listings
 * show them (and a revoked key is refused as revoked, as in the database store).
 *
 * @example
 * const store = new RedisApiKeyStore(() => app.make('redis').connection(), { prefix: 'langvel:' })
 */
export class RedisApiKeyStore implements ApiKeyStore {
  private readonly prefix: string

  constructor(
    private readonly redis: () => Redis,
    options: { prefix?: string } = {},
  ) {
    this.prefix = `${options.prefix ?? ''}auth:`
  }

  private recordKey(id: string): string {
    return `${this.prefix}api_key:${id}`
  }

  private hashKey(hash: string): string {
    return `${this.prefix}api_key_hash:${hash}`
  }

  private get setKey(): string {
    return `${this.prefix}api_keys`
  }

  insert(key: StoredApiKey): Promise<void> {
    return guardStore(async () => {
      const fields: Record<string, string> = {
        id: key.id,
        name: key.name,
        hash: key.hash,
        permissions: JSON.stringify(key.permissions),
        created_at: String(key.createdAt.getTime()),
        usage_count: String(key.usageCount),
      }
      if (key.expiresAt) fields.expires_at = String(key.expiresAt.getTime())
      if (key.lastUsedAt) fields.last_used_at = String(key.lastUsedAt.getTime())
      if (key.revokedAt) fields.revoked_at = String(key.revokedAt.getTime())
      await this.redis().multi().hset(this.recordKey(key.id), fields).set(this.hashKey(key.hash), key.id).sadd(this.setKey, key.id).exec()
    })
  }

  findByHash(hash: string): Promise<StoredApiKey | undefined> {
    return guardStore(async () => {
      const redis = this.redis()
      const id = await redis.get(this.hashKey(hash))
      if (!id) return undefined
      const fields = await redis.hgetall(this.recordKey(id))
      return fields.id ? { ...this.toRecord(fields), hash: fields.hash } : undefined
    })
  }

  find(id: string): Promise<ApiKeyRecord | undefined> {
    return guardStore(async () => {
      const fields = await this.redis().hgetall(this.recordKey(id))
      return fields.id ? this.toRecord(fields) : undefined
    })
  }

  list(): Promise<ApiKeyRecord[]> {
    return guardStore(async () => {
      const redis = this.redis()
      const ids = await redis.smembers(this.setKey)
      if (ids.length === 0) return []
      const pipeline = redis.pipeline()
      for (const id of ids) pipeline.hgetall(this.recordKey(id))
      const results = (await pipeline.exec()) ?? []
      return results
        .map(([, fields]) => fields as Record<string, string>)
        .filter((fields) => fields && fields.id)
        .map((fields) => this.toRecord(fields))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.id.localeCompare(b.id))
    })
  }

  revoke(id: string, at: Date): Promise<boolean> {
    return guardStore(async () => {
      const redis = this.redis()
      if ((await redis.exists(this.recordKey(id))) === 0) return false
      // HSETNX: revoking twice keeps the first revocation time.
      await redis.hsetnx(this.recordKey(id), 'revoked_at', String(at.getTime()))
      return true
    })
  }

  recordUsage(usage: ApiKeyUsage[]): Promise<void> {
    if (usage.length === 0) return Promise.resolve()
    return guardStore(async () => {
      const pipeline = this.redis().pipeline()
      for (const { id, count, lastUsedAt } of usage) pipeline.eval(RECORD_USAGE, 1, this.recordKey(id), count, lastUsedAt.getTime())
      await pipeline.exec()
    })
  }

  private toRecord(fields: Record<string, string>): ApiKeyRecord {
    return {
      id: fields.id,
      name: fields.name,
      permissions: JSON.parse(fields.permissions ?? '[]') as string[],
      createdAt: new Date(Number(fields.created_at)),
      expiresAt: time(fields.expires_at),
      lastUsedAt: time(fields.last_used_at),
      usageCount: Number(fields.usage_count ?? 0),
      revokedAt: time(fields.revoked_at),
    }
  }
}
