import { resolve } from 'node:path'
import { LRUCache } from 'lru-cache'
import type { ConfigMap } from '../config/config'
import type { AppEnvironment } from '../config/define_config'
import { E_INVALID_CONFIG, E_RUNTIME } from '../errors'
import type { Logger } from '../logger'
import { ChromaStore } from './chroma_store'
import { validateCollectionName } from './collection_name'
import { createEmbeddings } from './embeddings/create_embeddings'
import { LocalChroma } from './local_chroma'
import { Collection } from './rag_collection'
import { ragMetrics, type RagMetrics } from './rag_metrics'
import type { CollectionInfo, Embeddings, RagCollection, VectorStore } from './types'

/** config/rag.ts, resolved. */
export type RagConfig = ConfigMap['rag']

export interface RagManagerOptions {
  config: RagConfig
  /** APP_ENV: production never starts a managed Chroma. */
  appEnv: AppEnvironment
  /** Project root; RAG_STORAGE_PATH is relative to it. */
  basePath: string
  logger?: Logger
  /**
   * Where the managed Chroma comes from when this process should not start
   * its own: a cluster worker asks its primary, so every worker shares one.
   */
  managedChromaUrl?: () => Promise<string>
  /** Replace the configured embeddings or store (tests, custom drivers). */
  embeddings?: Embeddings
  store?: VectorStore
  /** Default: the process-wide metrics registry. */
  metrics?: RagMetrics
  /** Texts per embedding request (default 64). */
  batchSize?: number
  /** How long a collection's checked embedding facts are trusted before being read again (default 60 s). */
  verifiedTtlMs?: number
}

/**
 * Owns what retrieval shares in a process: the embeddings (loaded once, on
 * first use), the vector store (one Chroma client), and, with CHROMA_URL
 * empty outside production, the managed local Chroma it starts on first use
 * and stops at shutdown. Bound as `rag` in the container; code without a
 * container reaches it through `resolveRag()`.
 *
 * @example
 * const rag = app.make('rag')
 * await rag.collection('docs').add([{ text: 'Langvel serves LangGraph agents.' }])
 * const results = await rag.collection('docs').search('what does Langvel serve?', { k: 3 })
 */
export class RagManager {
  readonly config: RagConfig
  private embedder?: Embeddings
  private vectorStore?: VectorStore
  private local?: LocalChroma
  /** Set once the store asked for the managed Chroma's URL (it is running, or starting). */
  private managedInUse = false
  private readonly metrics: RagMetrics
  private readonly verified: LRUCache<string, CollectionInfo>

  constructor(private readonly options: RagManagerOptions) {
    this.config = options.config
    this.embedder = options.embeddings
    this.vectorStore = options.store
    this.metrics = options.metrics ?? ragMetrics()
    this.verified = new LRUCache({ max: 1000, ttl: options.verifiedTtlMs ?? 60_000 })
  }

  /** The configured embeddings, created on first use (the local model loads on its first embed). */
  get embeddings(): Embeddings {
    this.embedder ??= createEmbeddings(this.config.embeddings, { timeoutMs: 30_000 })
    return this.embedder
  }

  /** The vector store. In production without CHROMA_URL this throws E_INVALID_CONFIG naming it. */
  get store(): VectorStore {
    if (!this.vectorStore) {
      const { chroma } = this.config
      const url = this.remoteUrl()
      this.vectorStore = new ChromaStore({
        url: url ?? (() => this.managedUrl()),
        tenant: chroma.tenant,
        database: chroma.database,
        apiKey: chroma.apiKey,
        timeoutMs: chroma.timeoutMs,
        retries: chroma.retries,
        logger: this.options.logger,
      })
    }
    return this.vectorStore
  }

  /** True when RAG uses a managed Chroma (CHROMA_URL empty, outside production), this process's or its primary's. */
  get managesChroma(): boolean {
    return this.remoteUrl() === undefined
  }

  /** The local Chroma this manager started, if any. */
  get managedChroma(): LocalChroma | undefined {
    return this.local
  }

  /** A handle on collection `name` (nothing is created until documents are added). */
  collection(name: string): RagCollection {
    return new Collection(name, {
      store: this.store,
      embeddings: this.embeddings,
      defaultK: this.config.defaultK,
      batchSize: this.options.batchSize ?? 64,
      metrics: this.metrics,
      verified: this.verified,
    })
  }

  collections(options: { signal?: AbortSignal } = {}): Promise<CollectionInfo[]> {
    return this.store.listCollections(options)
  }

  /** Drops a collection and everything in it; false when it did not exist. */
  async drop(name: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    validateCollectionName(name)
    this.verified.delete(name)
    return this.store.dropCollection(name, options)
  }

  /**
   * The store's heartbeat; resolves with the round trip in ms. With
   * `startManaged: false` a managed Chroma that is not running yet is not
   * started for it (health checks), and the ping resolves at once.
   */
  async ping(options: { signal?: AbortSignal; startManaged?: boolean } = {}): Promise<number> {
    if (options.startManaged === false && this.managesChroma && !this.options.store && !this.managedInUse) return 0
    const started = performance.now()
    await this.store.heartbeat({ signal: options.signal })
    return performance.now() - started
  }

  /** One line for logs: where vectors go and which embeddings make them (no secrets). */
  describe(): string {
    const where = this.config.chroma.url ? 'Chroma at CHROMA_URL' : this.options.managedChromaUrl ? "the cluster primary's managed Chroma" : 'a managed local Chroma'
    return `${this.config.embeddings.provider} embeddings (model ${this.embeddings.model}), ${where}`
  }

  /** Releases the store and stops the managed Chroma this manager started. */
  async close(): Promise<void> {
    await this.vectorStore?.close()
    this.vectorStore = this.options.store
    this.managedInUse = false
    const local = this.local
    this.local = undefined
    await local?.stop()
  }

  /**
   * The managed Chroma's URL, starting it in this process on first call
   * (the cluster primary hands this to its workers).
   */
  startManagedChroma(): Promise<string> {
    if (this.remoteUrl() !== undefined) throw new E_RUNTIME('CHROMA_URL is set: there is no managed Chroma to start')
    this.local ??= new LocalChroma({ path: resolve(this.options.basePath, this.config.storagePath), logger: this.options.logger })
    return this.local.start()
  }

  private remoteUrl(): string | undefined {
    if (this.config.chroma.url) return this.config.chroma.url
    if (this.options.appEnv === 'production') {
      throw new E_INVALID_CONFIG(['CHROMA_URL: is required to use RAG in production (a managed local Chroma is started in development and test only)'])
    }
    return undefined
  }

  private managedUrl(): Promise<string> {
    this.managedInUse = true
    return this.options.managedChromaUrl ? this.options.managedChromaUrl() : this.startManagedChroma()
  }
}
