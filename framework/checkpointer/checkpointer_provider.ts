import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { CheckpointerManager } from './checkpointer_manager'

declare module '../foundation/application' {
  interface ContainerBindings {
    checkpointer: CheckpointerManager
  }
}

/**
 * Binds `checkpointer`: the CheckpointerManager built from config/checkpointer.ts.
 * Nothing is opened until a driver is used; shutdown closes the sqlite file
 * and postgres pool it opened (the redis connection belongs to the redis provider).
 *
 * @example
 * const saver = app.make('checkpointer').use()
 */
export const checkpointerProvider: Provider = {
  name: 'checkpointer',
  register(app: Application) {
    app.singleton('checkpointer', () => {
      const database = app.config.get('database')
      return new CheckpointerManager({
        config: app.config.get('checkpointer'),
        basePath: app.path(),
        databaseUrl: database.url,
        postgresPoolMax: database.pool.max,
        redis: () => app.make('redis').connection(),
        redisPrefix: app.config.get('redis').prefix,
        logger: app.logger.child({ component: 'checkpointer' }),
      })
    })
  },
  async shutdown(app: Application) {
    if (app.resolved('checkpointer')) await app.make('checkpointer').close()
  },
}
