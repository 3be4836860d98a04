import { Counter, Histogram, type Registry } from 'prom-client'
import { isException } from '../errors'
import { getMetrics } from '../observability/metrics'
import { perRegistry } from '../support/per_registry'

/** What a failed retrieval operation was doing. */
export type RagOperation = 'search' | 'ingest' | 'upsert' | 'delete'

/** Why it failed: a closed set derived from the error code, so the label stays bounded. */
export type RagErrorKind = 'unavailable' | 'embeddings' | 'mismatch' | 'not_found' | 'invalid' | 'cancelled' | 'other'

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

/**
 * Retrieval metrics on a registry (the process-wide one by default, so they
 * appear on /metrics and are summed across cluster workers). The collection
 * label comes from code and configuration (collection names), never from
 * request text.
 *
 * @example
 * ragMetrics().recordSearch('docs', 0.012)
 * ragMetrics().recordIngest('docs', 3.5)
 */
export class RagMetrics {
  readonly searchDuration: Histogram<'collection'>
  readonly ingestDuration: Histogram<'collection'>
  readonly chunksIngested: Counter<'collection'>
  readonly errors: Counter<'operation' | 'kind'>

  constructor(readonly registry: Registry) {
    const registers = [registry]
    this.searchDuration = new Histogram({
      name: 'langvel_rag_search_duration_seconds',
      help: 'Collection searches by collection: embedding the query, the store query and ranking',
      labelNames: ['collection'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.ingestDuration = new Histogram({
      name: 'langvel_rag_ingest_duration_seconds',
      help: 'Ingestion runs by collection: loading, chunking, embedding and storing',
      labelNames: ['collection'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.chunksIngested = new Counter({
      name: 'langvel_rag_chunks_ingested_total',
      help: 'Chunks embedded and stored, by collection',
      labelNames: ['collection'] as const,
      registers,
    })
    this.errors = new Counter({
      name: 'langvel_rag_errors_total',
      help: 'Failed retrieval operations by operation and kind (unavailable, embeddings, mismatch, not_found, invalid, cancelled, other)',
      labelNames: ['operation', 'kind'] as const,
      registers,
    })
  }

  recordSearch(collection: string, seconds: number): void {
    this.searchDuration.observe({ collection }, seconds)
  }

  /** One ingestion run's duration (its chunks are counted where they are stored). */
  recordIngest(collection: string, seconds: number): void {
    this.ingestDuration.observe({ collection }, seconds)
  }

  /** Called by RagCollection.add/upsert for what it stored, whoever called it. */
  recordChunks(collection: string, chunks: number): void {
    if (chunks > 0) this.chunksIngested.inc({ collection }, chunks)
  }

  recordError(operation: RagOperation, error: unknown): void {
    this.errors.inc({ operation, kind: ragErrorKind(error) })
  }
}

/** The metrics label of an error. */
export function ragErrorKind(error: unknown): RagErrorKind {
  if (!isException(error)) return 'other'
  switch (error.code) {
    case 'E_SERVICE_UNAVAILABLE':
      return 'unavailable'
    case 'E_EMBEDDINGS_FAILED':
      return 'embeddings'
    case 'E_EMBEDDINGS_MISMATCH':
      return 'mismatch'
    case 'E_COLLECTION_NOT_FOUND':
      return 'not_found'
    case 'E_INVALID_COLLECTION':
    case 'E_INVALID_INPUT':
    case 'E_INVALID_CONFIG':
      return 'invalid'
    case 'E_ABORTED':
    case 'E_TIMEOUT':
      return 'cancelled'
    default:
      return 'other'
  }
}

const metricsOn = perRegistry((registry) => new RagMetrics(registry))

/** The retrieval metrics on `registry` (default: the process-wide metrics registry), created once. */
export function ragMetrics(registry: Registry = getMetrics().registry): RagMetrics {
  return metricsOn(registry)
}

/**
 * For ingestion: one finished run's duration. Chunks are counted by the
 * collection as they are stored, so a run does not count them again.
 */
export function recordRagIngest(collection: string, seconds: number): void {
  ragMetrics().recordIngest(collection, seconds)
}

/** For ingestion: a failed run (or step), labelled by the error's kind. */
export function recordRagError(operation: RagOperation, error: unknown): void {
  ragMetrics().recordError(operation, error)
}
