import { SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { Registry } from 'prom-client'
import { z } from 'zod'
import { Agent, defineState, type GraphBuilder } from '../../../framework/agents'
import { E_SERVICE_UNAVAILABLE } from '../../../framework/errors'
import { Collection } from '../../../framework/rag/rag_collection'
import { RagMetrics } from '../../../framework/rag/rag_metrics'
import type { Embeddings, VectorStore } from '../../../framework/rag/types'
import { clearActiveTracing, setActiveTracing, traced } from '../../../framework/tracing'
import { OtelTracing } from '../../../framework/tracing/otel_tracing'

const exporter = new InMemorySpanExporter()
const tracing = new OtelTracing({ serviceName: 'sites', spanProcessors: [new SimpleSpanProcessor(exporter)] })

beforeAll(() => setActiveTracing(tracing))
afterAll(async () => {
  clearActiveTracing(tracing)
  await tracing.shutdown()
})
beforeEach(() => exporter.reset())

const embeddings: Embeddings = {
  provider: 'test',
  model: 'unit',
  dimensions: 2,
  embedQuery: async () => [1, 0],
  embedDocuments: async (texts: string[]) => texts.map(() => [1, 0]),
} as unknown as Embeddings

function collection(query: VectorStore['query']): Collection {
  const store = { driver: 'test', describe: async () => undefined, query } as unknown as VectorStore
  const verified = new Map()
  return new Collection('docs', { store, embeddings, defaultK: 3, batchSize: 16, metrics: new RagMetrics(new Registry()), verified })
}

describe('retrieval spans', () => {
  it('names the collection, k and how many results came back', async () => {
    const results = await collection(async () => [{ id: 'a', text: 'refunds take 5 days', metadata: {}, distance: 0.1 }]).search('refund policy', { k: 2 })
    const [span] = exporter.getFinishedSpans()
    expect(span.name).toBe('retrieval docs')
    expect(span.attributes).toMatchObject({ 'gen_ai.operation.name': 'retrieval', 'langvel.rag.collection': 'docs', 'langvel.rag.k': 2, 'langvel.rag.results': results.length })
    expect(span.attributes['langvel.rag.query']).toBeUndefined()
  })

  it('records a store outage with its code', async () => {
    await expect(collection(() => Promise.reject(new E_SERVICE_UNAVAILABLE('Chroma'))).search('refund policy')).rejects.toBeInstanceOf(E_SERVICE_UNAVAILABLE)
    const [span] = exporter.getFinishedSpans()
    expect(span.status.code).toBe(SpanStatusCode.ERROR)
    expect(span.attributes['langvel.error.code']).toBe('E_SERVICE_UNAVAILABLE')
  })
})

describe('traced()', () => {
  it("puts an application's own span under the node that made it", async () => {
    const State = defineState({ query: z.string(), result: z.string().optional() })
    class LookupAgent extends Agent<typeof State> {
      state = State
      build(graph: GraphBuilder<typeof State>) {
        return graph.then(async function enrich(state) {
          const result = await traced('crm lookup', { attributes: { 'crm.customer': state.query } }, async () => `found ${state.query}`)
          return { result }
        })
      }
    }
    const agent = await new LookupAgent().compile()
    const handler = tracing.graphHandler(tracing.parentContext(), { agent: 'LookupAgent', path: '/lookup' })
    await agent.invoke({ query: 'c-42' }, { callbacks: [handler] })
    const spans = exporter.getFinishedSpans()
    const node = spans.find((span) => span.name === 'node enrich')
    const own = spans.find((span) => span.name === 'crm lookup')
    if (!node || !own) throw new Error(`missing spans among ${spans.map((span) => span.name).join(', ')}`)
    expect(own.attributes['crm.customer']).toBe('c-42')
    expect(own.parentSpanContext?.spanId).toBeDefined()
    expect(own.parentSpanContext?.spanId).toBe(node.spanContext().spanId)
  })

  it('runs the function without a span when tracing is off', async () => {
    clearActiveTracing(tracing)
    try {
      expect(await traced('nothing', {}, async (span) => span)).toBeUndefined()
    } finally {
      setActiveTracing(tracing)
    }
    expect(exporter.getFinishedSpans()).toEqual([])
  })
})

describe('subgraphs', () => {
  it("nests a subgraph's nodes under the node that runs it", async () => {
    const State = defineState({ query: z.string(), result: z.string().optional() })
    class Child extends Agent<typeof State> {
      state = State
      build(graph: GraphBuilder<typeof State>) {
        return graph.then(function inner(state) {
          return { result: `inner ${state.query}` }
        })
      }
    }
    class Parent extends Agent<typeof State> {
      state = State
      build(graph: GraphBuilder<typeof State>) {
        return graph.subgraph(Child, { name: 'child' })
      }
    }
    const agent = await new Parent().compile()
    await agent.invoke({ query: 'x' }, { callbacks: [tracing.graphHandler(tracing.parentContext(), { agent: 'Parent', path: '/parent' })] })
    const spans = exporter.getFinishedSpans()
    const child = spans.find((span) => span.name === 'node child')
    const inner = spans.find((span) => span.name === 'node inner')
    if (!child || !inner) throw new Error(`missing node spans among ${spans.map((span) => span.name).join(', ')}`)
    expect(inner.parentSpanContext?.spanId).toBeDefined()
    expect(inner.parentSpanContext?.spanId).toBe(child.spanContext().spanId)
  })
})
