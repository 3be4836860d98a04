import type { BaseStore } from '@langchain/langgraph-checkpoint'
import type { ConfigMap } from '../config/config'
import type { Principal, RequestContext } from '../contracts/request_context'
import { E_INVALID_CONFIG, E_MEMORY_ANONYMOUS, E_UNKNOWN_DRIVER } from '../errors'
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

interface Opened {
  store: BaseStore
  close?: () => Promise<void> | void
}

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
  private readonly factories = new Map<string, MemoryStoreFactory>([
    ['memory', () => this.createMemory()],
    ['postgres', () => this.createPostgres()],
  ])
  private readonly opened = new Map<string, Opened>()
  private embedder?: Embeddings

  constructor(readonly options: MemoryManagerOptions) {}

  get defaultDriver(): string {
    return this.options.config.default
  }

  get drivers(): string[] {
    return [...this.factories.keys()]
  }

  /** True when recall ranks by embeddings (MEMORY_SEMANTIC and embeddings available). */
  get semantic(): boolean {
    return this.options.config.semantic && this.options.embeddings !== undefined
  }

  /** The BaseStore of driver `name` (the configured default when omitted); E_UNKNOWN_DRIVER for a typo. */
  use(name: string = this.defaultDriver): BaseStore {
    const existing = this.opened.get(name)
    if (existing) return existing.store
    const factory = this.factories.get(name)
    if (!factory) throw new E_UNKNOWN_DRIVER('memory', name, this.drivers, { details: { available: this.drivers } })
    const created = factory(this)
    this.opened.set(name, created)
    this.options.logger?.debug('memory store opened', { driver: name })
    return created.store
  }

  /** Registers (or replaces) a driver. */
  extend(name: string, factory: MemoryStoreFactory): this {
    this.factories.set(name, factory)
    return this
  }

  /** The memory of an owner key (`user:42`, `api_key:7`, `anonymous`), on the default driver. */
  forOwner(owner: string): PrincipalMemory {
    return new PrincipalMemory(this.use(), owner, { embeddings: this.embeddings(), recallLimit: this.options.config.recallLimit })
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

  async close(): Promise<void> {
    const open = [...this.opened.entries()]
    this.opened.clear()
    const failures: unknown[] = []
    for (const [name, { close }] of open) {
      try {
        await close?.()
      } catch (error) {
        failures.push(error)
        this.options.logger?.error('memory store failed to close', { driver: name, error })
      }
    }
    if (failures.length > 0) throw failures[0]
  }

  private embeddings(): Embeddings | undefined {
    if (!this.semantic) return undefined
    this.embedder ??= this.options.embeddings?.()
    return this.embedder
  }

  private createMemory(): Opened {
    const { InMemoryStore } = require('@langchain/langgraph-checkpoint') as typeof import('@langchain/langgraph-checkpoint')
    return { store: new InMemoryStore() }
  }

  private createPostgres(): Opened {
    const url = this.options.databaseUrl
    if (!url || !/^postgres(ql)?:\/\//.test(url)) throw new E_INVALID_CONFIG(['DATABASE_URL must be a postgres:// URL when MEMORY_STORE=postgres'])
    const store = openPostgresStore({ connectionString: url, max: this.options.postgresPoolMax ?? 10, schema: this.options.postgresSchema, logger: this.options.logger })
    return { store, close: () => store.stop() }
  }
}
