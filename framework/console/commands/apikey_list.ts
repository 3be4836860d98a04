import type { ApiKeyRecord } from '../../auth/api_keys/api_key_store'
import type { CommandHandler } from '../command'

function statusOf(record: ApiKeyRecord, now: number): 'active' | 'revoked' | 'expired' {
  if (record.revokedAt) return 'revoked'
  if (record.expiresAt && record.expiresAt.getTime() <= now) return 'expired'
  return 'active'
}

const day = (date: Date | null) => (date ? date.toISOString().replace('T', ' ').slice(0, 16) : '-')

/** `langvel apikey:list [--json]`: every key with status and usage; never a key or a hash. */
const apikeyList: CommandHandler<{ json?: boolean }> = async ({ app, options, output }) => {
  const records = await app.make('auth').apiKeys.list()
  const now = Date.now()
  if (options.json) {
    output.json(
      records.map((record) => ({
        id: record.id,
        name: record.name,
        permissions: record.permissions,
        status: statusOf(record, now),
        created_at: record.createdAt.toISOString(),
        expires_at: record.expiresAt?.toISOString() ?? null,
        last_used_at: record.lastUsedAt?.toISOString() ?? null,
        usage_count: record.usageCount,
        revoked_at: record.revokedAt?.toISOString() ?? null,
      })),
    )
    return 0
  }
  if (records.length === 0) {
    output.info('No API keys yet. Create one with `langvel apikey:create <name>`')
    return 0
  }
  output.table(
    ['ID', 'Name', 'Permissions', 'Status', 'Created', 'Expires', 'Last used', 'Uses'],
    records.map((record) => [
      record.id,
      record.name,
      record.permissions.join(',') || '-',
      statusOf(record, now),
      day(record.createdAt),
      day(record.expiresAt),
      day(record.lastUsedAt),
      record.usageCount,
    ]),
  )
  return 0
}

export default apikeyList
