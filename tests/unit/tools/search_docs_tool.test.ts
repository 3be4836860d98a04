import { searchDocsTool } from '../../../app/tools/search_docs_tool'
import { memoryCollection, useMemoryRag } from '../rag/agent_support'

describe('app search_docs tool', () => {
  it('returns the best passages of the docs collection, attributed to their page, at most `k`', async () => {
    const docs = await memoryCollection('docs', {
      'docs/checkpointers.md': 'Resume a thread: the checkpointer saves every thread after each step.',
      'docs/routing.md': 'Register agents in routes/agents.ts with Route.agent(path, Agent).',
    })
    const restore = useMemoryRag({ docs })
    try {
      const text = await searchDocsTool.call({ query: 'resume a thread with a checkpointer', k: 1 })
      expect(text).toMatch(/^<document index="1" source="docs\/checkpointers.md"/)
      expect(text.match(/<document /g)).toHaveLength(1)
    } finally {
      restore()
    }
  })

  it('says the docs collection does not exist instead of answering, and rejects an empty query', async () => {
    const restore = useMemoryRag({})
    try {
      await expect(searchDocsTool.call({ query: 'kubernetes' })).resolves.toMatch(/"docs" does not exist yet/)
      await expect(searchDocsTool.call({ query: '   ' })).rejects.toMatchObject({ code: 'E_TOOL_INPUT' })
    } finally {
      restore()
    }
  })
})
