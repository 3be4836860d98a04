import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { MANAGED_CHROMA_URL_ENV, RagManager } from './rag_manager'
import { clearRagManagerResolver, setRagManagerResolver } from './rag_runtime'

declare module '../foundation/application' {
  interface ContainerBindings {
    rag: RagManager
  }
}

const resolvers = new WeakMap<Application, () => RagManager>()

/**
 * Binds `rag`: the RagManager built from config/rag.ts. Nothing connects,
 * loads a model or starts a Chroma until a collection is used. Shutdown
 * releases the store and stops the managed Chroma, if one was started.
 *
 * @example
 * const results = await app.make('rag').collection('docs').search('refund policy')
 */
export const ragProvider: Provider = {
  name: 'rag',
  register(app: Application) {
    app.singleton('rag', () => {
      return new RagManager({
        config: app.config.get('rag'),
        appEnv: app.config.appEnv,
        basePath: app.path(),
        managedUrl: app.env[MANAGED_CHROMA_URL_ENV],
        logger: app.logger.child({ component: 'rag' }),
      })
    })
  },
  boot(app: Application) {
    const resolve = () => app.make('rag')
    resolvers.set(app, resolve)
    setRagManagerResolver(resolve)
  },
  async shutdown(app: Application) {
    const resolve = resolvers.get(app)
    if (resolve) clearRagManagerResolver(resolve)
    if (app.resolved('rag')) await app.make('rag').close()
  },
}
