import { z } from 'zod'
import { Agent, defineState, type GraphBuilder, type StateOf } from '../../../framework/agents'
import type { RequestContext } from '../../../framework/contracts/request_context'
import { MemoryManager } from '../../../framework/memory/memory_manager'
import { setMemoryManagerResolver } from '../../../framework/memory/memory_runtime'

const S = defineState({ remember: z.string().optional(), question: z.string(), answer: z.array(z.string()).optional() })
type State = StateOf<typeof S>

/** Remembers what it is told, then answers with what it recalls: in two nodes, so the memory crosses steps. */
class NotesAgent extends Agent<typeof S> {
  state = S
  build(graph: GraphBuilder<typeof S>) {
    return graph.then(this.note).then(this.answer)
  }
  async note(state: State) {
    if (state.remember) await this.memory.remember(`note-${state.remember.length}`, state.remember)
    return {}
  }
  async answer(state: State) {
    const hits = await this.memory.recall(state.question, { limit: 3 })
    return { answer: hits.map((hit) => String(hit.value)) }
  }
}

const context = (principal?: RequestContext['principal']): RequestContext => ({ requestId: 'r', traceId: 't', ...(principal ? { principal } : {}) })
const user = (id: string) => ({ id, type: 'user' as const, permissions: [] })

describe('this.memory in an agent', () => {
  const manager = (allowAnonymous = false) => new MemoryManager({ config: { default: 'memory', semantic: false, allowAnonymous, recallLimit: 5, episodeMaxChars: 2000 } })
  afterEach(() => setMemoryManagerResolver(undefined))

  it("is the run principal's memory: kept across threads, never another principal's", async () => {
    const memory = manager()
    setMemoryManagerResolver(() => memory)
    const agent = await new NotesAgent().compile()
    await agent.invoke({ remember: 'alice prefers tea', question: 'tea?' }, { context: context(user('alice')) })
    // Another thread of the same principal recalls it.
    expect((await agent.invoke({ question: 'does she like tea' }, { context: context(user('alice')) })).output.answer).toEqual(['alice prefers tea'])
    // Another principal, asking the same, recalls nothing.
    expect((await agent.invoke({ question: 'does she like tea' }, { context: context(user('bob')) })).output.answer).toEqual([])
    expect((await memory.forOwner('user:alice').list()).map((item) => item.value)).toEqual(['alice prefers tea'])
    expect(await memory.forOwner('user:bob').list()).toEqual([])
  })

  it('refuses a run without a principal with E_MEMORY_ANONYMOUS, unless anonymous memory is allowed', async () => {
    setMemoryManagerResolver(() => manager())
    const agent = await new NotesAgent().compile()
    await expect(agent.invoke({ remember: 'x', question: 'x' }, { context: context() })).rejects.toMatchObject({ code: 'E_MEMORY_ANONYMOUS', status: 401 })

    const open = manager(true)
    setMemoryManagerResolver(() => open)
    await agent.invoke({ remember: 'shared note', question: 'note' }, { context: context() })
    expect((await agent.invoke({ question: 'shared' }, { context: context() })).output.answer).toEqual(['shared note'])
  })

  it('is E_RUNTIME outside a node, where there is no run principal', () => {
    setMemoryManagerResolver(() => manager())
    expect(() => new NotesAgent().memory).toThrow(expect.objectContaining({ code: 'E_RUNTIME' }))
  })

  it('is E_RUNTIME before the application booted', () => {
    expect(() => new NotesAgent().memory).toThrow(expect.objectContaining({ code: 'E_RUNTIME', message: expect.stringContaining('before the application booted') }))
  })
})
