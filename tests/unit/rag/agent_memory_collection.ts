import { createHash } from 'node:crypto'
import { E_COLLECTION_NOT_FOUND } from '../../../framework/errors'
import { candidateCount, rankMatches, type RankingOptions } from '../../../framework/rag/ranking'
import type { CollectionInfo, DocumentInput, Embeddings, Metadata, QueryMatch, RagCollection, SearchOptions, SearchResult, Where } from '../../../framework/rag/types'

interface Stored {
  id: string
  text: string
  metadata: Metadata
  embedding: number[]
}

/**
 * A RagCollection held in memory: exact cosine search over every record,
 * ranked by the same rankMatches the Chroma-backed collection uses. Enough to
 * test agent helpers and ranking without a Chroma server. Like the Chroma
 * collection, it asks for candidateCount(k) neighbours and cuts the ranked list to k. `where` supports
 * equality on metadata keys only.
 */
export class MemoryCollection implements RagCollection {
  readonly records = new Map<string, Stored>()
  /** Every search's options, for tests that check what was passed (the signal). */
  readonly searches: Array<{ query: string; options: SearchOptions }> = []
  exists = true

  constructor(
    readonly name: string,
    private readonly embeddings: Embeddings,
    private readonly ranking: RankingOptions = {},
  ) {}

  async add(documents: DocumentInput[]): Promise<string[]> {
    return this.upsert(documents)
  }

  async upsert(documents: DocumentInput[]): Promise<string[]> {
    const vectors = await this.embeddings.embedDocuments(documents.map((document) => document.text))
    this.exists = true
    return documents.map((document, index) => {
      const id = document.id ?? createHash('sha256').update(document.text).digest('hex').slice(0, 32)
      this.records.set(id, { id, text: document.text, metadata: document.metadata ?? {}, embedding: vectors[index] })
      return id
    })
  }

  async delete(selector: { ids?: string[]; where?: Where }): Promise<void> {
    for (const record of [...this.records.values()]) {
      if (selector.ids?.includes(record.id) || (selector.where && matches(record.metadata, selector.where))) this.records.delete(record.id)
    }
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    this.searches.push({ query, options })
    if (options.signal?.aborted) throw options.signal.reason
    if (!this.exists) throw new E_COLLECTION_NOT_FOUND(this.name)
    const k = options.k ?? 4
    const vector = await this.embeddings.embedQuery(query)
    const candidates: QueryMatch[] = [...this.records.values()]
      .filter((record) => !options.filter || matches(record.metadata, options.filter))
      .map((record) => ({ id: record.id, text: record.text, metadata: record.metadata, distance: 1 - cosine(vector, record.embedding) }))
      .sort((a, b) => a.distance - b.distance)
    return rankMatches(query, candidates.slice(0, candidateCount(k)), this.ranking)
      .filter((result) => options.minScore === undefined || result.score >= options.minScore)
      .slice(0, k)
  }

  async count(): Promise<number> {
    return this.records.size
  }

  async info(): Promise<CollectionInfo | undefined> {
    if (!this.exists) return undefined
    return { name: this.name, count: this.records.size, embeddingProvider: this.embeddings.provider, embeddingModel: this.embeddings.model }
  }
}

function matches(metadata: Metadata, where: Where): boolean {
  return Object.entries(where).every(([key, value]) => metadata[key] === value)
}

function cosine(a: number[], b: number[]): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i]
    na += a[i] * a[i]
    nb += b[i] * b[i]
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}
