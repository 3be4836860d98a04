import { settleEpisodes } from '../../../framework/agents/episodic_memory'
import type { RequestContext } from '../../../framework/contracts/request_context'
import { clearLlmManagerResolver, setLlmManagerResolver } from '../../../framework/llm/llm_runtime'
import { MemoryManager } from '../../../framework/memory/memory_manager'
import { setMemoryManagerResolver } from '../../../framework/memory/memory_runtime'
import { AssistantAgent, extractFacts } from '../../../app/agents/assistant_agent'
import { fakeManager } from '../llm/helpers'

const as = (id: string): RequestContext => ({ requestId: 'r', traceId: 't', principal: { id, type: 'user', permissions: [] } })

describe('AssistantAgent (the example with long-term and episodic memory)', () => {
  it.each([
    ['my name is Ada', ["The user's name is Ada"]],
    ['Hi! My name is Ada and I live in Paris, France.', ['The user lives in Paris', "The user's name is Ada"]],
    ['Call me Ada. My favourite colour is blue', ["The user's name is Ada", "The user's favourite colour is blue"]],
    ['I really like jazz and cheese', ['The user likes jazz']],
    ['remember that my flight is on Friday, at 9', ['My flight is on Friday, at 9']],
    ['what is my name?', []],
    ['Is my name Ada?', []],
    ['hello there', []],
  ])('takes the facts %j states by plain patterns', (message, facts) => {
    expect(extractFacts(message).map((fact) => fact.text)).toEqual(facts)
  })

  it('keys a fact so that telling it again replaces it', () => {
    expect(extractFacts('my name is Ada').map((fact) => fact.key)).toEqual(extractFacts('call me Grace').map((fact) => fact.key))
  })

  describe('runs', () => {
    let memory: MemoryManager
    const llm = fakeManager()
    const resolveLlm = () => llm.manager
    beforeEach(() => {
      memory = new MemoryManager({ config: { default: 'memory', semantic: false, allowAnonymous: false, recallLimit: 5, episodeMaxChars: 2000 } })
      setMemoryManagerResolver(() => memory)
      setLlmManagerResolver(resolveLlm)
    })
    afterEach(() => {
      setMemoryManagerResolver(undefined)
      clearLlmManagerResolver(resolveLlm)
    })

    it("remembers a fact in one thread, recalls it in a new one, only for the same principal, and puts it in the model's prompt", async () => {
      const agent = await new AssistantAgent().compile({ route: '/assistant' })
      const told = await agent.invoke({ message: 'my name is Ada' }, { context: as('ada') })
      expect(told.output.remembered).toEqual(["The user's name is Ada"])
      expect(told.output.messages.map((message) => message.getType())).toEqual(['human', 'ai'])

      const asked = await agent.invoke({ message: 'what is my name?' }, { context: as('ada') })
      expect(asked.threadId).not.toBe(told.threadId)
      expect(asked.output.recalled).toEqual(["The user's name is Ada"])
      expect(llm.script.calls.some((call) => call.messages[0].type === 'system' && call.messages[0].text.includes("The user's name is Ada"))).toBe(true)

      expect((await agent.invoke({ message: 'what is my name?' }, { context: as('grace') })).output.recalled).toEqual([])
      // Each finished thread left a summary for its principal (stored once the run returned).
      await settleEpisodes()
      expect((await memory.forOwner('user:ada').episodes()).map((episode) => episode.threadId).sort()).toEqual([told.threadId, asked.threadId].sort())
    })

    it('continues a thread: the conversation grows, the facts stay one per key', async () => {
      const agent = await new AssistantAgent().compile()
      const first = await agent.invoke({ message: 'my name is Ada' }, { context: as('ada2') })
      const second = await agent.invoke({ message: 'actually, call me Grace' }, { context: as('ada2'), threadId: first.threadId })
      expect(second.output.messages).toHaveLength(4)
      expect((await memory.forOwner('user:ada2').list()).map((fact) => fact.value)).toEqual(["The user's name is Grace"])
      await settleEpisodes()
      expect(await memory.forOwner('user:ada2').episodes()).toHaveLength(1)
    })
  })
})
