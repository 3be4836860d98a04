import type { MessageBus } from '../contracts/bus'
import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { clearBusResolver, setBusResolver } from './bus_runtime'
import { createBus } from './create_bus'

declare module '../foundation/application' {
  interface ContainerBindings {
    bus: MessageBus
  }
}

const resolvers = new WeakMap<Application, () => MessageBus>()

/**
 * Binds `bus`: the message bus of config/bus.ts (BUS_DRIVER). Nothing
 * connects until it is used. Shutdown closes every subscription, waiting
 * BUS_DRAIN_TIMEOUT_MS at most for handlers in flight; it runs before the
 * redis provider's, which closes the connection the bus uses.
 *
 * @example
 * await app.make('bus').publish('orders', { id: 1 })
 */
export const busProvider: Provider = {
  name: 'bus',
  register(app: Application) {
    app.singleton('bus', () => createBus({ config: app.config.get('bus'), redis: () => app.make('redis'), logger: app.logger.child({ component: 'bus' }) }))
  },
  boot(app: Application) {
    const resolve = () => app.make('bus')
    resolvers.set(app, resolve)
    setBusResolver(resolve)
  },
  async shutdown(app: Application) {
    const resolve = resolvers.get(app)
    if (resolve) clearBusResolver(resolve)
    if (app.resolved('bus')) await app.make('bus').close()
  },
}
