import type { ChromaClient, Collection } from 'chromadb'
import { E_COLLECTION_NOT_FOUND, E_INVALID_INPUT, isException } from '../errors'
import type { Logger } from '../logger'
import { validateCollectionName } from './collection_name'
import { callDeadlineMs, storeCall, type StoreCallObserver, type StoreCallPolicy } from './store_call'
import type { CollectionInfo, Metadata, QueryMatch, StoredRecord, VectorRecord, VectorStore, Where } from './types'

export interface ChromaStoreOptions {
  /** The server's URL, or a function giving it on first use (the managed local Chroma starts then). */
  url: string | (() => Promise<string>)
  tenant?: string
  database?: string
  /** Sent as `x-chroma-token`. */
  apiKey?: string
  /** Per attempt (CHROMA_TIMEOUT_MS). */
  timeoutMs?: number
  /** CHROMA_RETRIES. */
  retries?: number
  /** Backoff between attempts (default 100 ms doubling, at most 2 s). */
  backoff?: { baseDelayMs?: number; maxDelayMs?: number }
  /** Replaces the wait between attempts (tests). */
  sleep?: StoreCallPolicy['sleep']
  logger?: Logger
}

/** Collection metadata keys holding how it was built. */
const META = { provider: 'embedding_provider', model: 'embedding_model', dimensions: 'embedding_dimensions' } as const

/** Records per upsert request, well under Chroma's batch limit. */
const UPSERT_BATCH = 1000

/**
 * The Chroma driver of the VectorStore contract. One ChromaClient per store
 * (the rag manager keeps one store per process), collections in cosine
 * space recording the embedding provider, model and dimensions in their
 * metadata. Every call goes through `storeCall`: bounded per attempt and by
 * the caller's signal, transient failures retried with backoff, and
 * E_SERVICE_UNAVAILABLE once Chroma has stayed down for the whole call; the
 * next call tries again, so the store recovers on its own.
 *
 * @example
 * const store = new ChromaStore({ url: 'http://127.0.0.1:8000' })
 * await store.ensureCollection('docs', { provider: 'local', model: 'use-lite-512', dimensions: 512 })
 * const matches = await store.query('docs', vector, { k: 5 })
 */
export class ChromaStore implements VectorStore {
  readonly driver = 'chroma'
  readonly policy: StoreCallPolicy
  private client?: Promise<ChromaClient>
  private readonly handles = new Map<string, Collection>()
  private down = false
  private readonly observer: StoreCallObserver

  constructor(private readonly options: ChromaStoreOptions) {
    this.policy = {
      timeoutMs: options.timeoutMs ?? 5000,
      retries: options.retries ?? 3,
      baseDelayMs: options.backoff?.baseDelayMs ?? 100,
      maxDelayMs: options.backoff?.maxDelayMs ?? 2000,
      sleep: options.sleep,
    }
    this.observer = {
      onTransientFailure: (error) => {
        if (this.down) return
        this.down = true
        options.logger?.warn('vector store is not answering; calls are retried, then fail until it is back', { error: error instanceof Error ? error : new Error(String(error)) })
      },
      onSuccess: () => {
        if (!this.down) return
        this.down = false
        options.logger?.info('vector store is back')
      },
    }
  }

  /** The longest any call waits, retries and backoff included. */
  get deadlineMs(): number {
    return callDeadlineMs(this.policy)
  }

  async heartbeat(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.call((client) => client.heartbeat(), options.signal)
  }

  async listCollections(options: { signal?: AbortSignal } = {}): Promise<CollectionInfo[]> {
    const page = 100
    const infos: CollectionInfo[] = []
    for (let offset = 0; ; offset += page) {
      const collections = await this.call((client) => client.listCollections({ limit: page, offset }), options.signal)
      for (const collection of collections) infos.push(await this.info(collection, options.signal))
      if (collections.length < page) return infos
    }
  }

  async describe(name: string, options: { signal?: AbortSignal } = {}): Promise<CollectionInfo | undefined> {
    const collection = await this.handle(name, options.signal, { fresh: true })
    return collection ? this.info(collection, options.signal) : undefined
  }

  async ensureCollection(name: string, embedding: { provider: string; model: string; dimensions: number }, options: { signal?: AbortSignal } = {}): Promise<CollectionInfo> {
    validateCollectionName(name)
    const collection = await this.call(
      (client) =>
        client.getOrCreateCollection({
          name,
          embeddingFunction: null,
          configuration: { hnsw: { space: 'cosine' } },
          metadata: { [META.provider]: embedding.provider, [META.model]: embedding.model, [META.dimensions]: embedding.dimensions },
        }),
      options.signal,
    )
    this.handles.set(name, collection)
    return this.info(collection, options.signal)
  }

  async dropCollection(name: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    validateCollectionName(name)
    this.handles.delete(name)
    try {
      await this.call((client) => client.deleteCollection({ name }), options.signal)
      return true
    } catch (error) {
      if (isNotFound(error)) return false
      throw error
    }
  }

  async upsert(name: string, records: VectorRecord[], options: { signal?: AbortSignal } = {}): Promise<void> {
    for (let start = 0; start < records.length; start += UPSERT_BATCH) {
      const batch = records.slice(start, start + UPSERT_BATCH)
      await this.withCollection(
        name,
        (collection) =>
          collection.upsert({
            ids: batch.map((record) => record.id),
            embeddings: batch.map((record) => record.embedding),
            documents: batch.map((record) => record.text),
            // Chroma refuses an empty metadata object; null means "none".
            metadatas: batch.map((record) => (record.metadata && Object.keys(record.metadata).length > 0 ? record.metadata : null)) as Metadata[],
          }),
        options.signal,
      )
    }
  }

  async delete(name: string, selector: { ids?: string[]; where?: Where }, options: { signal?: AbortSignal } = {}): Promise<void> {
    const where = nonEmpty(selector.where)
    if (!selector.ids && !where) throw new E_INVALID_INPUT('delete needs ids or a where filter (use dropCollection to remove everything)')
    if (selector.ids?.length === 0 && !where) return
    // Nothing to delete from a collection that does not exist.
    await this.withCollection(name, (collection) => collection.delete({ ids: selector.ids, where: where as never }), options.signal, { missingOk: true })
  }

  async get(name: string, selector: { ids?: string[]; where?: Where; limit?: number; offset?: number }, options: { signal?: AbortSignal } = {}): Promise<StoredRecord[]> {
    if (selector.ids?.length === 0) return []
    const result = await this.withCollection(
      name,
      (collection) => collection.get({ ids: selector.ids, where: nonEmpty(selector.where) as never, limit: selector.limit, offset: selector.offset, include: ['documents', 'metadatas'] as never }),
      options.signal,
      { missingOk: true },
    )
    if (!result) return []
    return result.ids.map((id, index) => ({ id, text: result.documents[index] ?? '', metadata: (result.metadatas[index] ?? {}) as Metadata }))
  }

  async query(name: string, embedding: number[], options: { k: number; where?: Where; signal?: AbortSignal }): Promise<QueryMatch[]> {
    const result = await this.withCollection(
      name,
      (collection) => collection.query({ queryEmbeddings: [embedding], nResults: options.k, where: nonEmpty(options.where) as never, include: ['documents', 'metadatas', 'distances'] as never }),
      options.signal,
    )
    if (!result) throw new E_COLLECTION_NOT_FOUND(name)
    const ids = result.ids[0] ?? []
    return ids.map((id, index) => ({
      id,
      text: result.documents[0]?.[index] ?? '',
      metadata: (result.metadatas[0]?.[index] ?? {}) as Metadata,
      distance: result.distances[0]?.[index] ?? 2,
    }))
  }

  async close(): Promise<void> {
    this.handles.clear()
    this.client = undefined
  }

  /** One attempt-bounded, retried call on the client. */
  private async call<T>(run: (client: ChromaClient) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const client = await this.connect()
    try {
      return await storeCall(() => run(client), this.policy, { signal, observer: this.observer })
    } catch (error) {
      // A managed Chroma that went away (crashed, stopped) is asked for, and so started, again by the next call.
      if (typeof this.options.url === 'function' && isException(error) && error.code === 'E_SERVICE_UNAVAILABLE' && this.client) {
        this.client = undefined
        this.handles.clear()
      }
      throw error
    }
  }

  private connect(): Promise<ChromaClient> {
    this.client ??= (async () => {
      const url = new URL(typeof this.options.url === 'string' ? this.options.url : await this.options.url())
      // Required on first use: commands that never touch RAG do not load the client.
      const { ChromaClient: Client } = require('chromadb') as typeof import('chromadb')
      const ssl = url.protocol === 'https:'
      return new Client({
        host: url.hostname,
        port: url.port ? Number(url.port) : ssl ? 443 : 80,
        ssl,
        tenant: this.options.tenant ?? 'default_tenant',
        database: this.options.database ?? 'default_database',
        headers: this.options.apiKey ? { 'x-chroma-token': this.options.apiKey } : undefined,
      })
    })().catch((error: unknown) => {
      // A managed Chroma that failed to start is tried again by the next call.
      this.client = undefined
      throw error
    })
    return this.client
  }

  /** The collection's handle (cached; `fresh` asks the server), or undefined when it does not exist. */
  private async handle(name: string, signal: AbortSignal | undefined, options: { fresh?: boolean } = {}): Promise<Collection | undefined> {
    validateCollectionName(name)
    if (!options.fresh) {
      const cached = this.handles.get(name)
      if (cached) return cached
    }
    try {
      const collection = await this.call((client) => client.getCollection({ name }), signal)
      this.handles.set(name, collection)
      return collection
    } catch (error) {
      if (!isNotFound(error)) throw error
      this.handles.delete(name)
      return undefined
    }
  }

  /**
   * Runs `run` on the collection. A cached handle whose collection was
   * dropped and made again elsewhere is looked up once more; a collection
   * that does not exist is E_COLLECTION_NOT_FOUND, or undefined with `missingOk`.
   */
  private async withCollection<T>(name: string, run: (collection: Collection) => Promise<T>, signal: AbortSignal | undefined, options: { missingOk?: boolean } = {}): Promise<T | undefined> {
    for (const fresh of [false, true]) {
      const collection = await this.handle(name, signal, { fresh })
      if (!collection) break
      try {
        return await storeCall(() => run(collection), this.policy, { signal, observer: this.observer })
      } catch (error) {
        if (!isNotFound(error)) throw error
        this.handles.delete(name)
      }
    }
    if (options.missingOk) return undefined
    throw new E_COLLECTION_NOT_FOUND(name)
  }

  private async info(collection: Collection, signal?: AbortSignal): Promise<CollectionInfo> {
    const count = await storeCall(() => collection.count(), this.policy, { signal, observer: this.observer })
    const metadata = collection.metadata ?? {}
    const provider = metadata[META.provider]
    const model = metadata[META.model]
    const dimensions = metadata[META.dimensions]
    return {
      name: collection.name,
      count,
      embeddingProvider: typeof provider === 'string' ? provider : undefined,
      embeddingModel: typeof model === 'string' ? model : undefined,
      dimensions: typeof dimensions === 'number' ? dimensions : undefined,
    }
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ChromaNotFoundError'
}

function nonEmpty(where: Where | undefined): Where | undefined {
  return where && Object.keys(where).length > 0 ? where : undefined
}
