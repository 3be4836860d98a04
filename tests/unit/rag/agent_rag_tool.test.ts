import { ragTool } from '../../../framework/rag/agent'
import { memoryCollection, useMemoryRag } from './agent_support'
import type { MemoryCollection } from './agent_memory_collection'

const PAGES = {
  'docs/checkpointers.md': 'Checkpointers save threads.\n\nThe redis checkpointer keeps a thread for CHECKPOINT_REDIS_TTL after its last write.',
  'docs/routing.md': 'Routes map paths to agents in routes/agents.ts.',
}

describe('ragTool', () => {
  let docs: MemoryCollection
  let restore: () => void

  beforeEach(async () => {
    docs = await memoryCollection('docs', PAGES)
    restore = useMemoryRag({ docs, empty: await memoryCollection('empty', {}) })
  })
  afterEach(() => restore())

  it('is a tool named after its collection unless named, whose k defaults to the configured one', () => {
    const tool = ragTool({ collection: 'docs', description: 'Search the docs', k: 2 })
    expect(tool.name).toBe('search_docs')
    expect(ragTool({ collection: 'docs', name: 'lookup', description: 'x' }).name).toBe('lookup')
    expect(tool.parse({ query: 'x' })).toEqual({ query: 'x', k: 2 })
    expect(() => tool.parse({ query: 'x', k: 11 })).toThrow(expect.objectContaining({ code: 'E_TOOL_INPUT' }))
  })

  it('returns the best passages as attributed <document> blocks', async () => {
    const tool = ragTool({ collection: 'docs', description: 'Search the docs', k: 1 })
    const text = await tool.call({ query: 'how long does the redis checkpointer keep a thread' })
    expect(text).toMatch(/^<document index="1" source="docs\/checkpointers.md" chunk="1" score="[\d.]+">\nThe redis checkpointer/)
    expect(text.match(/<document /g)).toHaveLength(1)
    expect(docs.searches[0].options).toMatchObject({ k: 1 })
  })

  it('searches on a signal that aborts when the run is cancelled', async () => {
    let seen: AbortSignal | undefined
    let started!: () => void
    const searching = new Promise<void>((resolve) => (started = resolve))
    const hanging = {
      name: 'slow',
      search: (_query: string, options: { signal: AbortSignal }) =>
        new Promise((_resolve, reject) => {
          seen = options.signal
          options.signal.addEventListener('abort', () => reject(options.signal.reason))
          started()
        }),
    }
    restore()
    restore = useMemoryRag({ slow: hanging as unknown as MemoryCollection })
    const controller = new AbortController()
    const call = ragTool({ collection: 'slow', description: 'x' }).call({ query: 'redis' }, { signal: controller.signal })
    await searching
    controller.abort()
    await expect(call).rejects.toBeDefined()
    expect(seen?.aborted).toBe(true)
  })

  it('says so when the collection is missing or empty, and when nothing matches the minimum score', async () => {
    await expect(ragTool({ collection: 'nothing', description: 'x' }).call({ query: 'redis' })).resolves.toMatch(/"nothing" does not exist yet.*do not make up an answer/)
    await expect(ragTool({ collection: 'empty', description: 'x' }).call({ query: 'redis' })).resolves.toMatch(/"empty" is empty/)
    await expect(ragTool({ collection: 'docs', description: 'x', minScore: 1.1 }).call({ query: 'redis' })).resolves.toMatch(/No passage of the collection "docs" matches/)
  })

  it('applies its fixed filter to every search', async () => {
    const tool = ragTool({ collection: 'docs', description: 'x', filter: { source: 'docs/routing.md' } })
    const text = await tool.call({ query: 'redis checkpointer thread' })
    expect(text).toContain('source="docs/routing.md"')
    expect(text).not.toContain('docs/checkpointers.md')
  })
})
