import { z } from 'zod'
import { Agent, defineState, type GraphBuilder } from '../../../framework/agents'
import { retrieve } from '../../../framework/rag/agent'
import type { SearchResult } from '../../../framework/rag/types'
import { memoryCollection, useMemoryRag } from './agent_support'
import type { MemoryCollection } from './agent_memory_collection'

const QaState = defineState({
  question: z.string(),
  context: z.string().optional(),
  results: z.array(z.any()).optional(),
  answer: z.string().optional(),
})

class QaAgent extends Agent<typeof QaState> {
  state = QaState
  build(graph: GraphBuilder<typeof QaState>) {
    return graph.then(retrieve('docs', { query: (state) => state.question, into: 'context', resultsInto: 'results', k: 2 })).then((state) => ({ answer: `from ${state.context?.length} chars` }))
  }
}

describe('retrieve', () => {
  let docs: MemoryCollection
  let restore: () => void

  beforeEach(async () => {
    docs = await memoryCollection('docs', {
      'docs/checkpointers.md': 'The redis checkpointer keeps a thread for CHECKPOINT_REDIS_TTL.',
      'docs/routing.md': 'Routes map paths to agents.',
      'docs/tools.md': 'Tools retry with backoff.',
    })
    restore = useMemoryRag({ docs })
  })
  afterEach(() => restore())

  it('writes the attributed passages into the state key, and the results when asked, as a named graph node', async () => {
    const agent = new QaAgent()
    const { output } = await agent.invoke({ question: 'redis checkpointer thread' })
    expect(output.context).toMatch(/^<document index="1" source="docs\/checkpointers.md" chunk="0"/)
    expect((output.results as SearchResult[]).map((result) => result.source)).toHaveLength(2)
    expect(output.answer).toMatch(/^from \d+ chars$/)
    expect(agent.toMermaid()).toContain('retrieve_docs')
  })

  it('passes k, the filter computed from the state and the run signal to the search', async () => {
    const controller = new AbortController()
    const node = retrieve<{ question: string; context?: string }>('docs', { query: (state) => state.question, into: 'context', k: 1, filter: () => ({ source: 'docs/tools.md' }) })
    const update = await node({ question: 'redis', messages: [] } as never, { signal: controller.signal } as never)
    expect(update.context).toContain('source="docs/tools.md"')
    expect(docs.searches[0].options).toMatchObject({ k: 1, filter: { source: 'docs/tools.md' }, signal: controller.signal })
  })

  it('writes a notice instead of passages when the collection is missing or the query empty', async () => {
    const missing = retrieve<{ question: string; context?: string }>('absent', { query: (state) => state.question, into: 'context' })
    await expect(missing({ question: 'redis' } as never, {} as never)).resolves.toEqual({ context: expect.stringMatching(/No passage of the collection "absent"/) })
    const blank = retrieve<{ question: string; context?: string }>('docs', { query: () => '  ', into: 'context' })
    await expect(blank({ question: '' } as never, {} as never)).resolves.toEqual({ context: expect.stringMatching(/No passage/) })
    expect(docs.searches).toHaveLength(0)
  })

  it('refuses a definition without a query function or a target key', () => {
    expect(() => retrieve('docs', { query: 'x' as never, into: 'context' })).toThrow(expect.objectContaining({ code: 'E_INVALID_INPUT' }))
    expect(() => retrieve('docs', { query: () => 'x', into: '' as never })).toThrow(expect.objectContaining({ code: 'E_INVALID_INPUT' }))
  })
})
