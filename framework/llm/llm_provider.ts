import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import type { LlmManager } from './llm_manager'
import { clearLlmManagerResolver, setHttpToolsAllowPrivate, setLlmManagerResolver } from './llm_runtime'

declare module '../foundation/application' {
  interface ContainerBindings {
    llm: LlmManager
  }
}

/**
 * Binds `llm`: the LlmManager built from config/llm.ts. Nothing is loaded or
 * connected until a model is called (provider SDKs are required lazily). At
 * boot it makes the manager what agents reach as `this.llm`, and hands
 * HTTP_TOOL_ALLOW_PRIVATE to httpTool.
 *
 * @example
 * const { text } = await app.make('llm').llm().invoke('Hello')
 */
const resolvers = new WeakMap<Application, () => LlmManager>()

export const llmProvider: Provider = {
  name: 'llm',
  register(app: Application) {
    app.singleton('llm', () => {
      const { LlmManager: Manager } = require('./llm_manager') as typeof import('./llm_manager')
      return new Manager({
        config: app.config.get('llm'),
        logger: app.logger.child({ component: 'llm' }),
        redis: () => app.make('redis').connection(),
        redisPrefix: app.config.get('redis').prefix,
      })
    })
  },
  boot(app: Application) {
    const resolve = () => app.make('llm')
    resolvers.set(app, resolve)
    setLlmManagerResolver(resolve)
    setHttpToolsAllowPrivate(app.config.get('llm').httpTools.allowPrivate)
  },
  shutdown(app: Application) {
    if (app.resolved('llm')) app.make('llm').close()
    const resolve = resolvers.get(app)
    if (resolve) clearLlmManagerResolver(resolve)
  },
}
