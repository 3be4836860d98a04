import { z } from 'zod'
import { CustomerSupportAgent } from '../../../app/agents/customer_support_agent'
import { EchoAgent } from '../../../app/agents/echo_agent'
import { Agent, defineState, type GraphBuilder } from '../../../framework/agents'
import { toolLoop } from '../../../framework/llm/tool_loop'
import { assertRagFor, ragCollectionsOf, ragTool, retrieve } from '../../../framework/rag/agent'
import { FakeEmbeddings } from '../../../framework/rag/embeddings/fake_embeddings'
import { RagManager } from '../../../framework/rag/rag_manager'
import { setRagManagerResolver } from '../../../framework/rag/rag_runtime'

const State = defineState({ question: z.string(), context: z.string().optional(), notes: z.string().optional() })

class Inner extends Agent<typeof State> {
  state = State
  build(graph: GraphBuilder<typeof State>) {
    return graph.then(retrieve('faq', { query: (s) => s.question, into: 'notes' }))
  }
}

class Nested extends Agent<typeof State> {
  state = State
  tools = [ragTool({ collection: 'manuals', description: 'Search the manuals' })]
  build(graph: GraphBuilder<typeof State>) {
    return graph
      .branch({ a: graph.chain().then(retrieve('docs', { query: (s) => s.question, into: 'context' })), b: () => ({}) }, () => 'a')
      .subgraph(Inner)
  }
}

function production(url?: string) {
  const config = {
    chroma: { url, tenant: 'default_tenant', database: 'default_database', apiKey: undefined, timeoutMs: 5000, retries: 0 },
    storagePath: 'storage/chroma',
    defaultK: 5,
    embeddings: { provider: 'fake', model: undefined, baseUrl: undefined, apiKey: undefined },
  } as unknown as RagManager['config']
  return new RagManager({ config, appEnv: 'production', basePath: process.cwd(), embeddings: new FakeEmbeddings(8) })
}

describe('ragCollectionsOf', () => {
  it('finds the collections of ragTool tools and of retrieve steps anywhere in the graph, subgraph agents included', () => {
    expect(ragCollectionsOf(new Nested()).sort()).toEqual(['docs', 'faq', 'manuals'])
    expect(ragCollectionsOf(new CustomerSupportAgent())).toEqual(['docs'])
    expect(ragCollectionsOf(new EchoAgent())).toEqual([])
  })

  it('does not count a plain tool loop or node as RAG', () => {
    class Plain extends Agent<typeof State> {
      state = State
      build(graph: GraphBuilder<typeof State>) {
        return graph.then(toolLoop({ tools: [], messagesKey: 'question' })).then(() => ({}))
      }
    }
    expect(ragCollectionsOf(new Plain())).toEqual([])
  })
})

describe('assertRagFor', () => {
  afterEach(() => setRagManagerResolver(undefined))

  it('refuses, in production without CHROMA_URL, an agent that searches a collection', () => {
    const manager = production()
    setRagManagerResolver(() => manager)
    expect(() => assertRagFor(new CustomerSupportAgent())).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', message: expect.stringContaining('CHROMA_URL') }))
  })

  it('accepts it with CHROMA_URL set, and never asks an agent without RAG', async () => {
    const manager = production('http://127.0.0.1:1')
    setRagManagerResolver(() => manager)
    expect(assertRagFor(new CustomerSupportAgent())).toEqual(['docs'])
    await manager.close()
    setRagManagerResolver(undefined)
    expect(assertRagFor(new EchoAgent())).toEqual([])
  })
})
