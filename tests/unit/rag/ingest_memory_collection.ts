import { createHash } from 'node:crypto'
import type { DocumentInput, Metadata, SearchResult, StoredRecord, Where } from '../../../framework/rag/types'
import type { IngestCollection } from '../../../framework/rag/ingest'

/**
 * A collection in a Map, for ingestion's unit tests: `where` supports
 * equality on metadata fields, which is all ingestion asks. `failUpsertAt`
 * makes the n-th upsert call (1-based) store half its batch, then throw,
 * like a store that dies mid-request.
 */
export class MemoryCollection implements IngestCollection {
  readonly records = new Map<string, { text: string; metadata: Metadata }>()
  upserts = 0
  failUpsertAt?: number

  constructor(readonly name = 'memory') {}

  async add(documents: DocumentInput[]): Promise<string[]> {
    return this.upsert(documents)
  }

  async upsert(documents: DocumentInput[]): Promise<string[]> {
    this.upserts++
    const failing = this.upserts === this.failUpsertAt
    const taken = failing ? documents.slice(0, Math.ceil(documents.length / 2)) : documents
    const ids = taken.map((document) => {
      const id = document.id ?? createHash('sha256').update(document.text).digest('hex')
      this.records.set(id, { text: document.text, metadata: document.metadata ?? {} })
      return id
    })
    if (failing) throw new Error('store died mid-request')
    return ids
  }

  async delete(selector: { ids?: string[]; where?: Where }): Promise<void> {
    for (const id of this.select(selector)) this.records.delete(id)
  }

  async get(selector: { ids?: string[]; where?: Where; limit?: number; offset?: number }): Promise<StoredRecord[]> {
    const ids = this.select(selector).sort()
    const offset = selector.offset ?? 0
    return ids.slice(offset, selector.limit === undefined ? undefined : offset + selector.limit).map((id) => ({ id, ...this.records.get(id)! }))
  }

  async search(query: string): Promise<SearchResult[]> {
    const words = new Set(query.toLowerCase().split(/\W+/))
    return [...this.records.entries()]
      .map(([id, record]) => ({ id, text: record.text, metadata: record.metadata, score: record.text.toLowerCase().split(/\W+/).filter((word) => words.has(word)).length }))
      .sort((a, b) => b.score - a.score)
  }

  async count(): Promise<number> {
    return this.records.size
  }

  async info() {
    return { name: this.name, count: this.records.size }
  }

  /** Stored chunks of one source, by position. */
  chunksOf(source: string) {
    return [...this.records.entries()]
      .filter(([, record]) => record.metadata.source === source)
      .map(([id, record]) => ({ id, ...record }))
      .sort((a, b) => Number(a.metadata.chunk) - Number(b.metadata.chunk))
  }

  sources(): string[] {
    return [...new Set([...this.records.values()].map((record) => String(record.metadata.source)))].sort()
  }

  private select(selector: { ids?: string[]; where?: Where }): string[] {
    return [...this.records.entries()]
      .filter(([id, record]) => (!selector.ids || selector.ids.includes(id)) && Object.entries(selector.where ?? {}).every(([key, value]) => record.metadata[key] === value))
      .map(([id]) => id)
  }
}
