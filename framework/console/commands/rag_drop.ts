import { E_PRODUCTION_GUARD } from '../../errors'
import type { CommandHandler } from '../command'

/** `langvel rag:drop <name> [--force] [--json]`: drops a collection; in production only with --force. */
const ragDrop: CommandHandler<{ force?: boolean; json?: boolean }> = async ({ app, args, options, output }) => {
  const [name] = args
  if (app.isProduction && !options.force) throw new E_PRODUCTION_GUARD(`drop the collection "${name}"`)
  const dropped = await app.make('rag').drop(name)
  if (options.json) output.json({ collection: name, dropped })
  if (dropped) output.success(`Dropped collection "${name}"`)
  else output.info(`Collection "${name}" does not exist; nothing to drop`)
}

export default ragDrop
