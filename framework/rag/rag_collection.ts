import { createHash } from 'node:crypto'
import type { Attributes } from '@opentelemetry/api'
import { E_EMBEDDINGS_MISMATCH, E_INVALID_INPUT } from '../errors'
import { activeTracing } from '../tracing/tracing_runtime'
import { validateCollectionName } from './collection_name'
import { candidateCount, rankMatches } from './ranking'
import type { RagMetrics } from './rag_metrics'
import type { CollectionInfo, DocumentInput, Embeddings, RagCollection, SearchOptions, SearchResult, VectorRecord, VectorStore, Where } from './types'

export interface CollectionContext {
  store: VectorStore
  embeddings: Embeddings
  /** RAG_DEFAULT_K. */
  defaultK: number
  /** Texts per embedding request. */
  batchSize: number
  metrics: RagMetrics
  /** The collection's verified build facts, shared by every handle of the manager (see RagManager). */
  verified: { get(name: string): CollectionInfo | undefined; set(name: string, info: CollectionInfo): void; delete(name: string): void }
}

/** The most results one search returns. */
const MAX_K = 1000

/** Default ids: the same text gives the same id, so adding a text twice stores it once. */
export function documentId(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32)
}

/**
 * A named collection: embeds documents in batches and stores them, searches
 * by meaning, and refuses to mix embeddings. A collection remembers the
 * provider, model and dimensions it was built with; adding to it or
 * searching it with other embeddings is E_EMBEDDINGS_MISMATCH naming both.
 *
 * @example
 * const docs = app.make('rag').collection('docs')
 * await docs.add([{ text: 'Threads resume from their last checkpoint.', metadata: { source: 'docs/agents.md' } }])
 * const [best] = await docs.search('how do I resume a thread?', { k: 3 })
 */
export class Collection implements RagCollection {
  constructor(
    readonly name: string,
    private readonly context: CollectionContext,
  ) {
    validateCollectionName(name)
  }

  /** Stores documents whose ids are not stored yet; returns every document's id. */
  async add(documents: DocumentInput[], options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const ids = documents.map((document) => document.id ?? documentId(document.text))
    const existing = (await this.context.store.describe(this.name, options))
      ? new Set((await this.context.store.get(this.name, { ids: [...new Set(ids)] }, options)).map((record) => record.id))
      : new Set<string>()
    const fresh = documents.filter((_, index) => !existing.has(ids[index]))
    await this.upsert(fresh, options)
    return ids
  }

  /** Stores documents, replacing those with the same ids; returns their ids. */
  async upsert(documents: DocumentInput[], options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const { store, embeddings, batchSize, metrics } = this.context
    const ids = documents.map((document) => document.id ?? documentId(document.text))
    // Chroma refuses an id twice in one request: the last document with an id wins.
    const unique = new Map<string, DocumentInput>()
    documents.forEach((document, index) => unique.set(ids[index], document))
    const pending = [...unique.entries()]
    try {
      for (let start = 0; start < pending.length; start += batchSize) {
        const batch = pending.slice(start, start + batchSize)
        const vectors = await embeddings.embedDocuments(
          batch.map(([, document]) => document.text),
          options,
        )
        if (start === 0) await this.ensure(vectors[0]?.length ?? (await embeddings.dimensions()), options.signal)
        const records: VectorRecord[] = batch.map(([id, document], index) => ({ id, text: document.text, embedding: vectors[index], metadata: document.metadata }))
        await store.upsert(this.name, records, options)
        metrics.recordChunks(this.name, records.length)
      }
    } catch (error) {
      metrics.recordError('upsert', error)
      throw error
    }
    return ids
  }

  async delete(selector: { ids?: string[]; where?: Where }, options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.context.store.delete(this.name, selector, options)
    } catch (error) {
      this.context.metrics.recordError('delete', error)
      throw error
    }
  }

  /** The best matches for `query`, best first, scored 0..1 by `rankMatches`; a `retrieval <collection>` span when tracing is on. */
  search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    const k = options.k ?? this.context.defaultK
    const tracing = activeTracing()
    if (!tracing) return this.searchStore(query, k, options)
    const attributes: Attributes = { 'gen_ai.operation.name': 'retrieval', 'langvel.rag.collection': this.name, 'langvel.rag.k': k }
    if (tracing.captureContent) attributes['langvel.rag.query'] = query.slice(0, 8192)
    return tracing.inSpan(`retrieval ${this.name}`, { attributes }, async (span) => {
      const results = await this.searchStore(query, k, options)
      span.setAttribute('langvel.rag.results', results.length)
      return results
    })
  }

  private async searchStore(query: string, k: number, options: SearchOptions): Promise<SearchResult[]> {
    const { store, embeddings, metrics } = this.context
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new E_INVALID_INPUT(`k must be an integer between 1 and ${MAX_K}, got ${k}`)
    const started = performance.now()
    try {
      const vector = await embeddings.embedQuery(query, { signal: options.signal })
      await this.verify(vector.length, options.signal)
      // More neighbours than k, so the ranking (vector and keyword scores together) chooses the k best among them.
      const matches = await store.query(this.name, vector, { k: candidateCount(k), where: options.filter, signal: options.signal })
      const ranked = rankMatches(query, matches)
      const results = (options.minScore === undefined ? ranked : ranked.filter((result) => result.score >= (options.minScore as number))).slice(0, k)
      metrics.recordSearch(this.name, (performance.now() - started) / 1000)
      return results
    } catch (error) {
      if ((error as { code?: unknown }).code === 'E_COLLECTION_NOT_FOUND') this.context.verified.delete(this.name)
      metrics.recordError('search', error)
      throw error
    }
  }

  async count(options: { signal?: AbortSignal } = {}): Promise<number> {
    return (await this.context.store.describe(this.name, options))?.count ?? 0
  }

  async info(options: { signal?: AbortSignal } = {}): Promise<CollectionInfo | undefined> {
    return this.context.store.describe(this.name, options)
  }

  /**
   * Creates the collection with the current embedding facts, or checks the
   * existing one's. Asked of the store on every write (not cached like
   * searches): the collection may have been dropped since, and a write must
   * make it again rather than fail.
   */
  private async ensure(dimensions: number, signal?: AbortSignal): Promise<void> {
    const { embeddings, store, verified } = this.context
    const info = await store.ensureCollection(this.name, { provider: embeddings.provider, model: embeddings.model, dimensions }, { signal })
    this.check(info, dimensions)
    verified.set(this.name, info)
  }

  /** Checks the stored collection was built with these embeddings (cached, see RagManager). */
  private async verify(dimensions: number, signal?: AbortSignal): Promise<void> {
    const { store, verified } = this.context
    let info = verified.get(this.name)
    if (!info) {
      info = await store.describe(this.name, { signal })
      // A missing collection is the store's to report, when it is queried.
      if (!info) return
      verified.set(this.name, info)
    }
    this.check(info, dimensions)
  }

  private check(info: CollectionInfo, dimensions: number): void {
    const { provider, model } = this.context.embeddings
    // A collection made outside Langvel records nothing: only its vectors' length can be checked, by the store.
    if (info.embeddingProvider === undefined && info.embeddingModel === undefined && info.dimensions === undefined) return
    const same = info.embeddingProvider === provider && info.embeddingModel === model && (info.dimensions === undefined || info.dimensions === dimensions)
    if (same) return
    throw new E_EMBEDDINGS_MISMATCH(
      this.name,
      describeFacts(info.embeddingProvider, info.embeddingModel, info.dimensions),
      describeFacts(provider, model, dimensions),
      { details: { collection: { provider: info.embeddingProvider, model: info.embeddingModel, dimensions: info.dimensions }, configured: { provider, model, dimensions } } },
    )
  }
}

function describeFacts(provider: string | undefined, model: string | undefined, dimensions: number | undefined): string {
  return `${provider ?? '?'}/${model ?? '?'} (${dimensions ?? '?'} dimensions)`
}
