import { DriverPool, type Opened as DriverOpened } from '../support/driver_pool'
import type { BaseStore } from '@langchain/langgraph-checkpoint'
import type { ConfigMap } from '../config/config'
import type { Principal, RequestContext } from '../contracts/request_context'
import { E_INVALID_CONFIG, E_MEMORY_ANONYMOUS } from '../errors'
import type { Logger } from '../logger'
import type { Embeddings } from '../rag/types'
import { ANONYMOUS_OWNER, ownerOf } from './memory_owner'
import { openPostgresStore } from './postgres_store'
import { PrincipalMemory } from './principal_memory'

export type MemoryConfig = ConfigMap['memory']

export interface MemoryManagerOptions {
  config: MemoryConfig
  /** DATABASE_URL: the postgres driver opens its own pool on it. */
  databaseUrl?: string
  /** Schema of the store tables; defaults to the connection's current schema. */
  postgresSchema?: string
  postgresPoolMax?: number
  /** The RAG embeddings (`app.make('rag').embeddings`), asked for on first use; recall ranks by them when `config.semantic`. */
  embeddings?: () => Embeddings
  logger?: Logger
}

/** Builds one store; returns it with the function that releases what it opened. */
export type MemoryStoreFactory = (manager: MemoryManager) => { store: BaseStore; close?: () => Promise<void> | void }

type Opened = DriverOpened<BaseStore>

/**
 * Long-term memory: LangGraph stores by driver name (memory, postgres), and
 * the memory of each principal on them. A driver is created on first use and
 * shared; `close()` releases only what was opened.
 *
 * @example
 * const memory = app.make('memory').forOwner('user:42')
 * await memory.remember('timezone', 'Europe/Paris')
 * const store = app.make('memory').use()   // the MEMORY_STORE BaseStore, for what Langvel does not wrap
 */
export class MemoryManager {
  private readonly pool: DriverPool<BaseStore>
  private embedder?: Embeddings

  constructor(readonly options: MemoryManagerOptions) {
    this.pool = new DriverPool('memory', { memory: () => this.createMemory(), postgres: () => this.createPostgres() }, options.logger)
  }

  get defaultDriver(): string {
    return this.options.config.default
  }

  get drivers(): string[] {
    return this.pool.names
  }

  /** True when recall ranks by embeddings (MEMORY_SEMANTIC and embeddings available). */
  get semantic(): boolean {
    return this.options.config.semantic && this.options.embeddings !== undefined
  }

  /** The BaseStore of driver `name` (the configured default when omitted); E_UNKNOWN_DRIVER for a typo. */
  use(name: string = this.defaultDriver): BaseStore {
    return this.pool.use(name)
  }

  /** Registers (or replaces) a driver. */
  extend(name: string, factory: MemoryStoreFactory): this {
    this.pool.extend(name, () => {
      const { store, close } = factory(this)
      return { value: store, close }
    })
    return this
  }

  /** The memory of an owner key (`user:42`, `api_key:7`, `anonymous`), on the default driver. */
  forOwner(owner: string): PrincipalMemory {
    return new PrincipalMemory(this.use(), owner, { embeddings: this.embeddings(), recallLimit: this.options.config.recallLimit, episodeMaxChars: this.options.config.episodeMaxChars })
  }

  /** The memory of a principal; without one, the shared anonymous memory when MEMORY_ALLOW_ANONYMOUS, else E_MEMORY_ANONYMOUS. */
  forPrincipal(principal: Principal | undefined): PrincipalMemory {
    if (principal) return this.forOwner(ownerOf(principal))
    if (!this.options.config.allowAnonymous) throw new E_MEMORY_ANONYMOUS()
    return this.forOwner(ANONYMOUS_OWNER)
  }

  /** The memory of the principal of a run. */
  forContext(context: RequestContext | undefined): PrincipalMemory {
    return this.forPrincipal(context?.principal)
  }

  close(): Promise<void> {
    return this.pool.close()
  }

  private embeddings(): Embeddings | undefined {
    if (!this.semantic) return undefined
    this.embedder ??= this.options.embeddings?.()
    return this.embedder
  }

  private createMemory(): Opened {
    const { InMemoryStore } = require('@langchain/langgraph-checkpoint') as typeof import('@langchain/langgraph-checkpoint')
    return { value: new InMemoryStore() }
  }

  private createPostgres(): Opened {
    const url = this.options.databaseUrl
    if (!url || !/^postgres(ql)?:\/\//.test(url)) throw new E_INVALID_CONFIG(['DATABASE_URL must be a postgres:// URL when MEMORY_STORE=postgres'])
    const store = openPostgresStore({ connectionString: url, max: this.options.postgresPoolMax ?? 10, schema: this.options.postgresSchema, logger: this.options.logger })
    return { value: store, close: () => store.stop() }
  }
}
