import { settleEpisodes } from '../agents/episodic_memory'
import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { MemoryManager } from './memory_manager'
import { clearMemoryManagerResolver, setMemoryManagerResolver } from './memory_runtime'

declare module '../foundation/application' {
  interface ContainerBindings {
    memory: MemoryManager
  }
}

const resolvers = new WeakMap<Application, () => MemoryManager>()

/**
 * Binds `memory`: the MemoryManager of config/memory.ts (MEMORY_STORE).
 * Nothing connects and no model loads until a memory is used; recall ranks
 * by the RAG embeddings (`app.make('rag').embeddings`) when MEMORY_SEMANTIC.
 * Shutdown closes the Postgres pool, if one was opened.
 *
 * @example
 * await app.make('memory').forOwner('user:42').remember('language', 'French')
 */
export const memoryProvider: Provider = {
  name: 'memory',
  register(app: Application) {
    app.singleton('memory', () => {
      const database = app.config.get('database')
      return new MemoryManager({
        config: app.config.get('memory'),
        databaseUrl: database.url,
        postgresPoolMax: database.pool.max,
        embeddings: app.bound('rag') ? () => app.make('rag').embeddings : undefined,
        logger: app.logger.child({ component: 'memory' }),
      })
    })
  },
  boot(app: Application) {
    const resolve = () => app.make('memory')
    resolvers.set(app, resolve)
    setMemoryManagerResolver(resolve)
  },
  async shutdown(app: Application) {
    const resolve = resolvers.get(app)
    // Episodes of runs that already returned are still being stored: let them land before the store closes.
    if (app.resolved('memory')) await settleEpisodes()
    if (resolve) clearMemoryManagerResolver(resolve)
    if (app.resolved('memory')) await app.make('memory').close()
  },
}
