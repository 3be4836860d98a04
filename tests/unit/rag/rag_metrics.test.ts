import { E_COLLECTION_NOT_FOUND } from '../../../framework/errors'
import { getMetrics } from '../../../framework/observability/metrics'
import { ragMetrics, recordRagError, recordRagIngest } from '../../../framework/rag/rag_metrics'

describe('RAG metrics', () => {
  it('records ingestion runs and errors on the process-wide registry, so they appear on /metrics', async () => {
    recordRagIngest('docs-metrics', 1.5)
    recordRagError('ingest', new E_COLLECTION_NOT_FOUND('docs-metrics'))
    ragMetrics().recordChunks('docs-metrics', 7)

    const text = await getMetrics().render()

    expect(text).toContain('langvel_rag_ingest_duration_seconds_count{collection="docs-metrics"} 1')
    expect(text).toContain('langvel_rag_errors_total{operation="ingest",kind="not_found"} 1')
    expect(text).toContain('langvel_rag_chunks_ingested_total{collection="docs-metrics"} 7')
    expect(text).toContain('# TYPE langvel_rag_search_duration_seconds histogram')
  })

  it('is created once per registry', () => {
    expect(ragMetrics()).toBe(ragMetrics())
  })
})
