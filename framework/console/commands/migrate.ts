import type { CommandHandler } from '../command'
import { guardProduction, migratorFor, plural, progressPrinter, type MigrateCommandOptions } from './migrate_shared'

/** `langvel migrate [--force] [--path <dir>] [--json]`: runs pending migrations in one batch. */
const migrate: CommandHandler<MigrateCommandOptions> = async ({ app, options, output }) => {
  guardProduction(app, options, 'run migrations')
  const progress = progressPrinter(output)
  const result = await migratorFor(app, options).latest({ onEvent: progress.onEvent })
  if (options.json) output.json({ batch: result.batch, migrations: result.migrations })
  if (result.migrations.length === 0) {
    output.info(progress.state.waited ? 'Nothing to migrate: another process ran the pending migrations' : 'Nothing to migrate')
    return
  }
  output.success(`Ran ${plural(result.migrations.length, 'migration')} in batch ${result.batch}`)
}

export default migrate
