import type { CommandHandler } from '../command'
import { guardProduction, migratorFor, plural, progressPrinter, type MigrateCommandOptions } from './migrate_shared'

/** `langvel migrate:fresh [--force] [--path <dir>] [--json]`: drops every table, then runs every migration. */
const migrateFresh: CommandHandler<MigrateCommandOptions> = async ({ app, options, output }) => {
  guardProduction(app, options, 'drop all tables')
  const progress = progressPrinter(output)
  const migrator = migratorFor(app, options)
  // Announced before the drop so the order of lines follows what happens.
  output.info('Dropping all tables')
  const result = await migrator.fresh({ onEvent: progress.onEvent })
  if (options.json) output.json({ dropped: result.dropped, batch: result.batch, migrations: result.migrations })
  output.success(`Dropped ${plural(result.dropped.length, 'table')}`)
  if (result.migrations.length === 0) {
    output.info('Nothing to migrate')
    return
  }
  output.success(`Ran ${plural(result.migrations.length, 'migration')} in batch ${result.batch}`)
}

export default migrateFresh
