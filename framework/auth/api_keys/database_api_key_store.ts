import type { Knex } from 'knex'
import { guardStore } from '../store_errors'
import type { ApiKeyRecord, ApiKeyStore, ApiKeyUsage, StoredApiKey } from './api_key_store'

interface Row {
  id: string
  name: string
  key_hash: string
  permissions: string
  created_at: number | string
  expires_at: number | string | null
  last_used_at: number | string | null
  usage_count: number | string
  revoked_at: number | string | null
}

/** PostgreSQL returns bigint columns as strings. */
const time = (value: number | string | null): Date | null => (value === null ? null : new Date(Number(value)))

function toRecord(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    permissions: JSON.parse(row.permissions) as string[],
    createdAt: time(row.created_at) as Date,
    expiresAt: time(row.expires_at),
    lastUsedAt: time(row.last_used_at),
    usageCount: Number(row.usage_count),
    revokedAt: time(row.revoked_at),
  }
}

const PUBLIC_COLUMNS = ['id', 'name', 'permissions', 'created_at', 'expires_at', 'last_used_at', 'usage_count', 'revoked_at']

/**
 * API keys in the `auth_api_keys` table (created by the auth migration), on
 * SQLite or PostgreSQL. Times are epoch milliseconds in bigint columns, the
 * same on both. Lookups go through the unique index on `key_hash`.
 *
 * @example
 * const store = new DatabaseApiKeyStore(() => app.make('db').connection())
 */
export class DatabaseApiKeyStore implements ApiKeyStore {
  private readonly table: string

  constructor(
    private readonly knex: () => Knex,
    options: { table?: string } = {},
  ) {
    this.table = options.table ?? 'auth_api_keys'
  }

  insert(key: StoredApiKey): Promise<void> {
    return guardStore(async () => {
      await this.knex()(this.table).insert({
        id: key.id,
        name: key.name,
        key_hash: key.hash,
        permissions: JSON.stringify(key.permissions),
        created_at: key.createdAt.getTime(),
        expires_at: key.expiresAt?.getTime() ?? null,
        last_used_at: key.lastUsedAt?.getTime() ?? null,
        usage_count: key.usageCount,
        revoked_at: key.revokedAt?.getTime() ?? null,
      })
    })
  }

  findByHash(hash: string): Promise<StoredApiKey | undefined> {
    return guardStore(async () => {
      const row = (await this.knex()(this.table).where('key_hash', hash).first()) as Row | undefined
      return row ? { ...toRecord(row), hash: row.key_hash } : undefined
    })
  }

  find(id: string): Promise<ApiKeyRecord | undefined> {
    return guardStore(async () => {
      const row = (await this.knex()(this.table).select(PUBLIC_COLUMNS).where('id', id).first()) as Row | undefined
      return row ? toRecord(row) : undefined
    })
  }

  list(): Promise<ApiKeyRecord[]> {
    return guardStore(async () => {
      const rows = (await this.knex()(this.table).select(PUBLIC_COLUMNS).orderBy([{ column: 'created_at', order: 'desc' }, 'id'])) as Row[]
      return rows.map(toRecord)
    })
  }

  revoke(id: string, at: Date): Promise<boolean> {
    return guardStore(async () => {
      const db = this.knex()
      const updated = await db(this.table).where('id', id).update({ revoked_at: db.raw('coalesce(revoked_at, ?)', [at.getTime()]) })
      return Number(updated) > 0
    })
  }

  recordUsage(usage: ApiKeyUsage[]): Promise<void> {
    if (usage.length === 0) return Promise.resolve()
    return guardStore(async () => {
      await this.knex().transaction(async (trx) => {
        for (const { id, count, lastUsedAt } of usage) {
          const at = lastUsedAt.getTime()
          // Increments, not read-modify-write: several workers flush into the same row.
          await trx(this.table)
            .where('id', id)
            .update({
              usage_count: trx.raw('usage_count + ?', [count]),
              last_used_at: trx.raw('case when last_used_at is null or last_used_at < ? then ? else last_used_at end', [at, at]),
            })
        }
      })
    })
  }
}
