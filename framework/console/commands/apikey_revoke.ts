import type { CommandHandler } from '../command'

/** `langvel apikey:revoke <id> [--json]`: the key stops working on every worker and instance sharing the store. */
const apikeyRevoke: CommandHandler<{ json?: boolean }> = async ({ app, args, options, output }) => {
  const record = await app.make('auth').apiKeys.revoke(args[0])
  if (options.json) output.json({ id: record.id, name: record.name, revoked_at: record.revokedAt?.toISOString() ?? null })
  output.success(`Revoked API key ${record.id} (${record.name})`)
  return 0
}

export default apikeyRevoke
