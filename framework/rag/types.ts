/**
 * The contracts of retrieval (RAG). Interfaces only: the Chroma store, the
 * embedding providers, the manager, ingestion and the agent helpers all meet
 * here, so each can be built and tested against the others' contract.
 */

/** Turns text into vectors. One instance per process, loaded once. */
export interface Embeddings {
  /** The provider name (`local`, `openai`, `ollama`, `openai-compatible`, `fake`). */
  readonly provider: string
  /** The model id recorded on every collection built with it (`use-lite-512`, `text-embedding-3-small`...). */
  readonly model: string
  /** Vector length; known after the first call for providers that do not declare it. */
  dimensions(): Promise<number>
  embedDocuments(texts: string[], options?: { signal?: AbortSignal }): Promise<number[][]>
  embedQuery(text: string, options?: { signal?: AbortSignal }): Promise<number[]>
}

/** Flat metadata as Chroma stores it. */
export type Metadata = Record<string, string | number | boolean>

/** A Chroma `where` filter (`{ source: 'docs/rag.md' }`, `{ $and: [...] }`). */
export type Where = Record<string, unknown>

export interface VectorRecord {
  id: string
  text: string
  embedding: number[]
  metadata?: Metadata
}

export interface StoredRecord {
  id: string
  text: string
  metadata: Metadata
}

export interface QueryMatch {
  id: string
  text: string
  metadata: Metadata
  /** Chroma's distance for the collection's space (smaller is closer). */
  distance: number
}

/** What a collection remembers about how it was built (kept in its metadata). */
export interface CollectionInfo {
  name: string
  count: number
  embeddingProvider?: string
  embeddingModel?: string
  dimensions?: number
}

/**
 * A vector store driver (Chroma today). Every call is bounded (timeout,
 * the caller's signal) and retried on transient failures; a store that stays
 * down fails with E_SERVICE_UNAVAILABLE.
 */
export interface VectorStore {
  readonly driver: string
  heartbeat(options?: { signal?: AbortSignal }): Promise<void>
  listCollections(options?: { signal?: AbortSignal }): Promise<CollectionInfo[]>
  /** The collection's info, or undefined when it does not exist. */
  describe(name: string, options?: { signal?: AbortSignal }): Promise<CollectionInfo | undefined>
  /** Creates the collection with the embedding facts, or returns the existing one's info. */
  ensureCollection(name: string, embedding: { provider: string; model: string; dimensions: number }, options?: { signal?: AbortSignal }): Promise<CollectionInfo>
  dropCollection(name: string, options?: { signal?: AbortSignal }): Promise<boolean>
  upsert(name: string, records: VectorRecord[], options?: { signal?: AbortSignal }): Promise<void>
  delete(name: string, selector: { ids?: string[]; where?: Where }, options?: { signal?: AbortSignal }): Promise<void>
  /** Records (without embeddings) by id or filter; used by ingestion to diff what is stored. */
  get(name: string, selector: { ids?: string[]; where?: Where; limit?: number; offset?: number }, options?: { signal?: AbortSignal }): Promise<StoredRecord[]>
  query(name: string, embedding: number[], options: { k: number; where?: Where; signal?: AbortSignal }): Promise<QueryMatch[]>
  close(): Promise<void>
}

export interface SearchOptions {
  /** How many documents (default RAG_DEFAULT_K). */
  k?: number
  /** Chroma `where` filter on metadata. */
  filter?: Where
  /** Drop matches scoring below this (0..1). */
  minScore?: number
  signal?: AbortSignal
}

/** One retrieved chunk: its text, where it came from, and how well it matched (0..1, higher is better). */
export interface SearchResult {
  id: string
  text: string
  score: number
  metadata: Metadata
  /** `metadata.source`, when the chunk came from a file. */
  source?: string
  /** `metadata.chunk`: the chunk's position in its source. */
  chunk?: number
}

/** A document to index; `id` defaults to a hash of the text. */
export interface DocumentInput {
  id?: string
  text: string
  metadata?: Metadata
}

/** A named collection, as agents and the CLI use it. */
export interface RagCollection {
  readonly name: string
  add(documents: DocumentInput[], options?: { signal?: AbortSignal }): Promise<string[]>
  upsert(documents: DocumentInput[], options?: { signal?: AbortSignal }): Promise<string[]>
  delete(selector: { ids?: string[]; where?: Where }, options?: { signal?: AbortSignal }): Promise<void>
  search(query: string, options?: SearchOptions): Promise<SearchResult[]>
  count(options?: { signal?: AbortSignal }): Promise<number>
  info(options?: { signal?: AbortSignal }): Promise<CollectionInfo | undefined>
}
