import { ApprovalAgent } from '../../../app/agents/approval_agent'
import { BatchAgent } from '../../../app/agents/batch_agent'
import { CustomerSupportAgent } from '../../../app/agents/customer_support_agent'
import { EchoAgent } from '../../../app/agents/echo_agent'
import { ResearchAgent } from '../../../app/agents/research_agent'
import { MAX_BATCH } from '../../../app/state/batch_state'
import { memoryCollection, useMemoryRag } from '../rag/agent_support'
import { collect, rejection } from './helpers'

describe('EchoAgent', () => {
  it('answers "Processed: <query>" through two nodes', async () => {
    const agent = await new EchoAgent().compile()
    const { output } = await agent.invoke({ query: 'hello world' })
    expect(output.response).toBe('Processed: hello world')
    expect(agent.validate()).toEqual([])
    expect(agent.toMermaid()).toMatch(/process[\s\S]*respond/)
    expect((await rejection(agent.invoke({ query: '' }))).code).toBe('E_VALIDATION')
  })
})

describe('CustomerSupportAgent', () => {
  const agent = new CustomerSupportAgent()

  it.each([
    ['I was charged twice on my invoice', 'billing'],
    ['The app crashes when I login', 'technical'],
    ['What are your opening hours?', 'general'],
  ])('classifies %j as %s and responds', async (query, category) => {
    const { output } = await agent.invoke({ query })
    expect(output.category).toBe(category)
    expect(output.response).toEqual(expect.stringContaining(`[${category}]`))
  })

  it('declares its middleware and tools', () => {
    expect(agent.describe().middleware).toEqual(['logging'])
    expect(agent.tools.map((tool) => tool.name)).toEqual(['search_docs'])
  })

  describe('documentation questions (offline fake model, an in-memory docs collection)', () => {
    let restore: (() => void) | undefined
    afterEach(() => restore?.())

    it('answers from the docs collection through the search_docs tool and names the source', async () => {
      const docs = await memoryCollection('docs', {
        'docs/routing.md': 'Routing: register agents in routes/agents.ts with Route.agent(path, Agent).',
        'docs/checkpointers.md': 'Checkpointers save every thread after each step.',
      })
      restore = useMemoryRag({ docs })
      const { output } = await agent.invoke({ query: 'What do the docs say about routing agents?' })
      const calls = output.messages.flatMap((message) => (message as { tool_calls?: Array<{ name: string }> }).tool_calls ?? [])
      expect(calls.map((call) => call.name)).toEqual(['search_docs'])
      const toolResult = output.messages.find((message) => message.getType() === 'tool')
      expect(String(toolResult?.content)).toMatch(/^<document index="1" source="docs\/routing.md"/)
      expect(output.response).toContain('Route.agent(path, Agent)')
      expect(output.response).toMatch(/Sources: docs\/routing.md/)
    })

    it('says the documentation is not there instead of inventing an answer when the collection is missing', async () => {
      restore = useMemoryRag({})
      const { output } = await agent.invoke({ query: 'What do the docs say about routing agents?' })
      expect(output.response).toContain('"docs" does not exist yet')
      expect(output.response).not.toContain('Sources:')
    })
  })
})

describe('ApprovalAgent', () => {
  const agent = new ApprovalAgent()

  it.each([
    [true, 'approved'],
    [false, 'rejected'],
  ])('stops for a human with a summary; resumed with approved=%s it ends %s', async (approved, status) => {
    const first = await agent.invoke({ request: 'Buy 3 monitors for the design team' })
    expect(first.interrupts).toHaveLength(1)
    expect(first.interrupts[0].value).toMatchObject({ summary: expect.stringContaining('Buy 3 monitors') })
    expect(first.output.status).toBe('pending')
    const done = await agent.resume(first.threadId, { approved })
    expect(done.output.status).toBe(status)
    expect(done.interrupts).toEqual([])
  })

  it('lists its interrupt point and rejects a malformed decision', async () => {
    expect(agent.interrupts).toEqual(['approval'])
    const { threadId } = await agent.invoke({ request: 'x' })
    expect((await rejection(agent.resume(threadId, { approved: 'maybe' }))).code).toBe('E_VALIDATION')
  })
})

describe('BatchAgent', () => {
  const agent = new BatchAgent()

  it('processes every item once, in order', async () => {
    const { output } = await agent.invoke({ items: ['apple', 'banana', 'cherry'] })
    expect(output.processed).toEqual(['1: APPLE', '2: BANANA', '3: CHERRY'])
    expect(output.total).toBe(3)
  })

  it('handles an empty batch and a second batch on the same thread independently', async () => {
    expect((await agent.invoke({ items: [] })).output.processed).toEqual([])
    await agent.invoke({ items: ['a', 'b'] }, { threadId: 'batch-twice' })
    expect((await agent.invoke({ items: ['c'] }, { threadId: 'batch-twice' })).output.processed).toEqual(['1: C'])
  })

  it('processes a full batch within its loop and step limits', async () => {
    const items = Array.from({ length: MAX_BATCH }, (_, i) => `i${i}`)
    const { output } = await agent.invoke({ items })
    expect(output.processed).toHaveLength(MAX_BATCH)
    expect(output.processed.at(-1)).toBe(`${MAX_BATCH}: I${MAX_BATCH - 1}`)
  })

  it('streams one update per item, the reset first', async () => {
    const updates = (await collect(agent.stream({ items: ['x', 'y'] }))).map((event) => ('node' in event ? [event.node, event.data] : [event.event]))
    expect(updates).toEqual([
      ['start', { processed: [] }],
      ['processItem', { processed: ['1: X'], cursor: 1 }],
      ['processItem', { processed: ['2: Y'], cursor: 2 }],
      ['finish', { total: 2 }],
    ])
  })

  it('refuses more items than its loop limit', async () => {
    const items = Array.from({ length: MAX_BATCH + 1 }, (_, i) => `i${i}`)
    const error = await rejection(agent.invoke({ items }))
    expect(error.code).toBe('E_VALIDATION')
    expect(error.details).toEqual([{ path: 'items', message: expect.any(String) }])
  })
})

describe('ResearchAgent', () => {
  it('runs its sources in parallel and merges every contribution into the summary', async () => {
    const { output } = await new ResearchAgent().invoke({ topic: 'graph databases' })
    expect(Object.keys(output.findings).sort()).toEqual(['news', 'papers', 'web'])
    for (const finding of Object.values(output.findings)) expect(output.summary).toContain(finding)
  })
})
