import { searchDocsTool } from '../../../app/tools/search_docs_tool'

describe('app search_docs tool', () => {
  it('returns the best matching pages first, at most `limit`', async () => {
    const { results } = await searchDocsTool.call({ query: 'resume a thread with a checkpointer', limit: 2 })

    expect(results[0].title).toBe('Checkpointers')
    expect(results.length).toBeLessThanOrEqual(2)
  })

  it('returns no results for words no page contains, and rejects an empty query', async () => {
    await expect(searchDocsTool.call({ query: 'kubernetes' })).resolves.toEqual({ query: 'kubernetes', results: [] })
    await expect(searchDocsTool.call({ query: '   ' })).rejects.toMatchObject({ code: 'E_TOOL_INPUT' })
  })
})
