import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import cluster from 'node:cluster'
import { RagManager } from './rag_manager'
import { clearRagManagerResolver, setRagManagerResolver } from './rag_runtime'
import { askPrimaryForChroma } from './shared_chroma'

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
        // A worker of `serve --workers N` shares its primary's managed Chroma instead of starting one per worker.
        managedChromaUrl: cluster.isWorker ? askPrimaryForChroma : undefined,
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
