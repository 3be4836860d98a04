import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { RedisManager } from './redis_manager'

declare module '../foundation/application' {
  interface ContainerBindings {
    redis: RedisManager
  }
}

export const redisProvider: Provider = {
  name: 'redis',
  register(app: Application) {
    app.singleton('redis', () => new RedisManager({ ...app.config.get('redis'), logger: app.logger.child({ logger: 'redis' }) }))
  },
  async shutdown(app: Application) {
    if (app.resolved('redis')) await app.make('redis').close()
  },
}
