import type { CommandHandler } from '../command'
import { parseDurationFlag, parsePermissions } from './auth_token'

interface ApiKeyCreateOptions {
  permissions?: string
  expires?: string
  json?: boolean
}

/**
 * `langvel apikey:create <name> [--permissions a,b] [--expires 30d] [--json]`:
 * creates a key and prints it once; only its SHA-256 is stored.
 */
const apikeyCreate: CommandHandler<ApiKeyCreateOptions> = async ({ app, args, options, output }) => {
  const { key, record } = await app.make('auth').apiKeys.create(args[0], {
    permissions: parsePermissions(options.permissions),
    expiresInSeconds: parseDurationFlag('--expires', options.expires),
  })
  if (options.json) {
    output.json({ id: record.id, key, name: record.name, permissions: record.permissions, expires_at: record.expiresAt?.toISOString() ?? null })
    return 0
  }
  output.success(`Created API key ${record.id} (${record.name})${record.expiresAt ? `, expires ${record.expiresAt.toISOString()}` : ''}`)
  output.line(key)
  output.info('This is the only time the key is shown: store it now. Send it as `X-API-Key: <key>`.')
  return 0
}

export default apikeyCreate
