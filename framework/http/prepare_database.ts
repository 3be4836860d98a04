import { Migrator } from '../database/migrator'
import { E_PRODUCTION_GUARD } from '../errors'
import type { Application } from '../foundation/application'

/**
 * Runs before `langvel serve` listens (once, in the cluster primary). In
 * development on the embedded SQLite database, pending migrations run and are
 * logged, so a fresh clone serves without a manual step. In production
 * nothing migrates implicitly: pending migrations stop the start, named, with
 * how to run them. Other environments (test, or development on PostgreSQL)
 * are left alone.
 *
 * @example
 * await prepareDatabase(app)
 */
export async function prepareDatabase(app: Application): Promise<string[]> {
  if (!app.bound('db')) return []
  const developmentSqlite = app.environment === 'development' && !app.config.get('database').url
  if (!developmentSqlite && !app.isProduction) return []
  const migrator = new Migrator(app.make('db'), { directory: app.codePathFor('database', 'migrations'), logger: app.logger })
  if (app.isProduction) {
    const pending = await migrator.pending()
    if (pending.length > 0) {
      throw new E_PRODUCTION_GUARD(`start with ${pending.length} pending migration(s): ${pending.join(', ')}`, {
        help: 'Run `langvel migrate --force` first, then start the server.',
      })
    }
    return []
  }
  const { migrations } = await migrator.latest()
  if (migrations.length > 0) app.logger.info(`ran ${migrations.length} pending migration(s) before serving`, { migrations })
  return migrations
}
