import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { setHttpToolsAllowPrivate } from '../tools/http_tool_settings'
import { LlmManager } from './llm_manager'
import { clearLlmManagerResolver, setLlmManagerResolver } from './llm_runtime'

declare module '../foundation/application' {
  interface ContainerBindings {
    llm: LlmManager
  }
}

const resolvers = new WeakMap<Application, () => LlmManager>()

/**
 * Binds `llm`: the LlmManager built from config/llm.ts. No provider SDK is
 * loaded and nothing connects until a model is called. At boot it makes the
 * manager what agents reach as `this.llm`, and hands HTTP_TOOL_ALLOW_PRIVATE
 * to httpTool.
 *
 * @example
 * const { text } = await app.make('llm').llm().invoke('Hello')
 */
export const llmProvider: Provider = {
  name: 'llm',
  register(app: Application) {
    app.singleton('llm', () => {
      return new LlmManager({
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
    // The setting goes with the application that made it, not with one that booted later.
    if (resolve && clearLlmManagerResolver(resolve)) setHttpToolsAllowPrivate(false)
  },
}
