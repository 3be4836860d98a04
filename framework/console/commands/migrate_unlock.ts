import type { CommandHandler } from '../command'
import { migratorFor, type MigrateCommandOptions } from './migrate_shared'

/** `langvel migrate:unlock [--json]`: clears the migration lock a crashed run left behind. */
const migrateUnlock: CommandHandler<MigrateCommandOptions> = async ({ app, options, output }) => {
  const released = await migratorFor(app, options).unlock()
  if (options.json) output.json({ released })
  if (released) output.success('Migration lock released')
  else output.info('The migration lock was not held')
}

export default migrateUnlock
