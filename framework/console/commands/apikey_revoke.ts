import type { CommandHandler } from '../command'

/** `langvel apikey:revoke <id>`: the key stops working on every worker and instance sharing the store. */
const apikeyRevoke: CommandHandler = async ({ app, args, output }) => {
  const record = await app.make('auth').apiKeys.revoke(args[0])
  output.success(`Revoked API key ${record.id} (${record.name})`)
  return 0
}

export default apikeyRevoke
