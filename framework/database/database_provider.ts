import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { DatabaseManager } from './database_manager'

declare module '../foundation/application' {
  interface ContainerBindings {
    db: DatabaseManager
  }
}

/**
 * Binds `db` (the DatabaseManager) from config/database.ts. Nothing connects
 * until a service asks for `app.make('db').connection()`, and the pool is
 * closed on shutdown only if it was created.
 *
 * @example
 * const knex = app.make('db').connection()
 */
export const databaseProvider: Provider = {
  name: 'database',
  register(app: Application) {
    app.singleton('db', () => {
      const config = app.config.get('database')
      return new DatabaseManager({
        url: config.url,
        pool: config.pool,
        basePath: app.path(),
        logger: app.logger.child({ logger: 'database' }),
      })
    })
  },
  async shutdown(app: Application) {
    if (app.resolved('db')) await app.make('db').close()
  },
}
