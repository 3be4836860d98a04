import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages'
import { z } from 'zod'
import { Agent, defineState, reducers, type GraphBuilder } from '../../../framework/agents'
import { countMessageTokens, toolLoop, trimConversation, type Llm } from '../../../framework/llm'
import type { Logger } from '../../../framework/logger'
import { defineTool } from '../../../framework/tools'
import { clearLlmManagerResolver, setLlmManagerResolver } from '../../../framework/llm/llm_runtime'
import { fakeManager } from './helpers'

/** A deterministic conversation of `turns` turns: plain answers, and tool rounds of one to three parallel calls. */
function conversation(turns: number, seed = 7): BaseMessage[] {
  let state = seed
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state % n
  }
  const messages: BaseMessage[] = [new SystemMessage('You are a support agent. Answer briefly.')]
  for (let t = 0; t < turns; t++) {
    messages.push(new HumanMessage(`Question ${t}: ${'about order '.repeat(1 + next(6))}${t}?`))
    const rounds = next(3)
    for (let r = 0; r < rounds; r++) {
      const calls = Array.from({ length: 1 + next(3) }, (_, i) => ({ name: 'lookup_order', args: { orderId: t * 10 + i }, id: `c${t}_${r}_${i}`, type: 'tool_call' as const }))
      messages.push(new AIMessage({ content: '', tool_calls: calls }))
      for (const call of calls) messages.push(new ToolMessage({ tool_call_id: call.id, name: call.name, content: `{"status":"shipped","items":${next(50)}}` }))
    }
    messages.push(new AIMessage(`Answer ${t}: ${'all fine. '.repeat(1 + next(5))}`))
  }
  return messages
}

/** Every tool result has its call in the list and every call has its result. */
function pairsIntact(messages: readonly BaseMessage[]): boolean {
  const calls = new Set(messages.flatMap((m) => (m instanceof AIMessage ? (m.tool_calls ?? []).map((c) => c.id) : [])))
  const results = new Set(messages.flatMap((m) => (m instanceof ToolMessage ? [m.tool_call_id] : [])))
  return calls.size === results.size && [...calls].every((id) => results.has(id!))
}

const lastHuman = (messages: readonly BaseMessage[]) => messages.findLast((m) => m.type === 'human')!

describe('trimConversation', () => {
  const full = conversation(12)
  const fullTokens = countMessageTokens(full)

  it('keeps, for every budget, a system message plus a suffix that starts on a user message, with tool pairs intact', () => {
    const system = full[0]
    for (let maxTokens = 1; maxTokens <= fullTokens + 5; maxTokens += 3) {
      const kept = trimConversation(full, { maxTokens })
      const rest = kept.slice(1)

      expect(kept[0]).toBe(system)
      expect(rest[0].type).toBe('human')
      // A suffix of the original, same objects, same order.
      expect(rest).toEqual(full.slice(full.length - rest.length))
      expect(rest.every((m, i) => m === full[full.length - rest.length + i])).toBe(true)
      expect(pairsIntact(kept)).toBe(true)
      expect(kept).toContain(lastHuman(full))
    }
  })

  it('respects the budget, counted with the same counter, and keeps as much as fits', () => {
    const currentTurn = full.slice(full.indexOf(lastHuman(full)))
    const minimum = countMessageTokens([full[0], ...currentTurn])
    for (let maxTokens = minimum; maxTokens <= fullTokens; maxTokens += 7) {
      const kept = trimConversation(full, { maxTokens })
      expect(countMessageTokens(kept)).toBeLessThanOrEqual(maxTokens)

      // One more turn would not have fitted.
      const start = full.length - (kept.length - 1)
      const earlier = full.slice(1, start).findLastIndex((m) => m.type === 'human') + 1
      if (earlier > 0) expect(countMessageTokens([full[0], ...full.slice(earlier)])).toBeGreaterThan(maxTokens)
    }
  })

  it('returns a conversation already within the budget unchanged, in a new array', () => {
    const kept = trimConversation(full, { maxTokens: fullTokens })

    expect(kept).not.toBe(full)
    expect(kept).toHaveLength(full.length)
    expect(kept.every((m, i) => m === full[i])).toBe(true)
  })

  it('keeps the last user message and the tool rounds after it even when they alone exceed the budget', () => {
    const huge = new HumanMessage(`Summarize: ${'lorem ipsum '.repeat(500)}`)
    const call = new AIMessage({ content: '', tool_calls: [{ name: 'lookup_order', args: { orderId: 1 }, id: 'now', type: 'tool_call' }] })
    const result = new ToolMessage({ tool_call_id: 'now', content: 'shipped' })
    const messages = [...full, huge, call, result]

    const kept = trimConversation(messages, { maxTokens: 50 })

    expect(kept).toEqual([full[0], huge, call, result])
    expect(countMessageTokens(kept)).toBeGreaterThan(50)
  })

  it('counts system messages in the budget and keeps every one of them, or trims them like others with keepSystem: false', () => {
    const late = new SystemMessage('The user is on the premium plan.')
    const messages = [...full.slice(0, 20), late, ...full.slice(20)]
    const budget = countMessageTokens(trimConversation(full, { maxTokens: 300 }))

    const kept = trimConversation(messages, { maxTokens: budget })
    expect(kept.filter((m) => m.type === 'system')).toEqual([full[0], late])
    expect(countMessageTokens(kept)).toBeLessThanOrEqual(budget)
    // The late system message costs budget: fewer conversation messages than without it.
    expect(kept.length - 2).toBeLessThan(trimConversation(full, { maxTokens: budget }).length - 1)

    const unkept = trimConversation(messages, { maxTokens: budget, keepSystem: false })
    expect(unkept.some((m) => m.type === 'system')).toBe(false)
    expect(unkept[0].type).toBe('human')
    expect(countMessageTokens(unkept)).toBeLessThanOrEqual(budget)
  })

  it("with startOn: 'any' may start on an answer or a tool call, never on a tool result", () => {
    let sawNonHuman = false
    for (let maxTokens = 1; maxTokens <= fullTokens; maxTokens += 5) {
      const kept = trimConversation(full, { maxTokens, startOn: 'any' })
      expect(kept[1].type).not.toBe('tool')
      expect(pairsIntact(kept)).toBe(true)
      expect(kept).toContain(lastHuman(full))
      if (kept[1].type !== 'human') sawNonHuman = true
    }
    expect(sawNonHuman).toBe(true)
  })

  it('never separates a tool result from its call, even when another message came in between', () => {
    const call = new AIMessage({ content: '', tool_calls: [{ name: 'lookup_order', args: { orderId: 1 }, id: 'slow', type: 'tool_call' }] })
    const messages = [new HumanMessage('first question'), call, new HumanMessage('are you there?'), new ToolMessage({ tool_call_id: 'slow', content: 'shipped' }), new AIMessage('It shipped.'), new HumanMessage('thanks')]

    for (let maxTokens = 1; maxTokens < countMessageTokens(messages); maxTokens++) {
      expect(pairsIntact(trimConversation(messages, { maxTokens }))).toBe(true)
    }
  })

  it('handles conversations without a user message or without anything to trim', () => {
    expect(trimConversation([], { maxTokens: 10 })).toEqual([])
    const noHuman = [new SystemMessage('rules'), new AIMessage('hello'), new AIMessage('anyone?')]
    expect(trimConversation(noHuman, { maxTokens: 1 })).toEqual([noHuman[0], noHuman[2]])
  })

  it('rejects a budget that is not a positive integer with E_INVALID_INPUT', () => {
    for (const maxTokens of [0, -5, 1.5, Number.NaN, '100' as unknown as number]) {
      expect(() => trimConversation(full, { maxTokens })).toThrow(expect.objectContaining({ code: 'E_INVALID_INPUT' }))
    }
    expect(() => trimConversation(full, { maxTokens: 10, startOn: 'tool' as never })).toThrow(expect.objectContaining({ code: 'E_INVALID_INPUT' }))
  })
})

describe('working memory on model calls (trim)', () => {
  const history = conversation(10, 3)
  const budget = 250

  it('sends the trimmed conversation while the caller keeps the whole one, and logs how many were left out', async () => {
    const debug = jest.fn()
    const logger = { debug, info: jest.fn(), warn: jest.fn(), error: jest.fn() } as unknown as Logger
    const { llm, script } = fakeManager({}, { logger })
    const before = [...history]

    await llm.invoke(history, { trim: { maxTokens: budget } })

    const sent = script.calls[0].messages
    expect(sent).toEqual(trimConversation(history, { maxTokens: budget }))
    expect(sent.length).toBeLessThan(history.length)
    expect(countMessageTokens(sent)).toBeLessThanOrEqual(budget)
    expect(history).toEqual(before)
    expect(history.every((m, i) => m === before[i])).toBe(true)
    expect(debug).toHaveBeenCalledWith('model call', expect.objectContaining({ trimmedMessages: history.length - sent.length }))
  })

  it('counts the system option in the budget', async () => {
    const { llm, script } = fakeManager()
    const system = `Rules: ${'be precise. '.repeat(40)}`

    await llm.invoke(history.slice(1), { system, trim: { maxTokens: budget } })

    const sent = script.calls[0].messages
    expect(sent[0].text).toBe(system)
    expect(countMessageTokens(sent)).toBeLessThanOrEqual(budget)
  })

  it('takes a default budget from llm.with({ trim }) that a call may turn off with trim: false', async () => {
    const { llm, script } = fakeManager()
    const remembering = llm.with({ trim: { maxTokens: budget } })

    await remembering.invoke(history)
    await remembering.invoke(history, { trim: false })
    await llm.invoke(history)

    expect(script.calls.map((c) => c.messages.length)).toEqual([trimConversation(history, { maxTokens: budget }).length, history.length, history.length])
    expect(() => llm.with({ trim: { maxTokens: 0 } })).toThrow(expect.objectContaining({ code: 'E_INVALID_INPUT' }))
  })

  it('trims streamed and structured calls too', async () => {
    const { llm, script } = fakeManager()
    const expected = trimConversation(history, { maxTokens: budget }).length

    for await (const event of llm.stream(history, { trim: { maxTokens: budget } })) void event
    await llm.structured(history, z.object({ topic: z.string() }), { trim: { maxTokens: budget } })

    expect(script.calls.map((c) => c.messages.length)).toEqual([expected, expected])
  })

  it('applies to every step of toolLoop through its call options, leaving the returned history whole', async () => {
    const lookupOrder = defineTool({
      name: 'lookup_order',
      description: 'Find an order',
      schema: z.object({ orderId: z.number().int() }),
      handler: async ({ orderId }) => ({ orderId, status: 'shipped' }),
    })
    const { llm, script } = fakeManager()
    script.toolCall('lookup_order', { orderId: 1 }, 'now').reply('Shipped.')

    const state = { messages: [...history, new HumanMessage('Where is order 1?')] }
    // Room for the system prompt and the current turn only.
    const { messages: added } = await toolLoop({ llm, tools: [lookupOrder], call: { trim: { maxTokens: 60 } } })(state)

    expect(added.map((m) => m.type)).toEqual(['ai', 'tool', 'ai'])
    const [first, second] = script.calls.map((c) => c.messages)
    expect(first.map((m) => m.text)).toEqual([history[0].text, 'Where is order 1?'])
    expect(second.map((m) => m.type)).toEqual(['system', 'human', 'ai', 'tool'])
    expect(state.messages).toHaveLength(history.length + 1)
  })

  it("is declared on an agent by overriding its llm getter; the graph's state keeps the whole history", async () => {
    const { llm, script } = fakeManager()
    const ChatState = defineState({ messages: reducers.messages() })
    class ChatAgent extends Agent<typeof ChatState> {
      state = ChatState
      // In an application: `return super.llm.with({ trim: { maxTokens: 250 } })`.
      override get llm(): Llm {
        return llm.with({ trim: { maxTokens: budget } })
      }
      build(graph: GraphBuilder<typeof ChatState>) {
        return graph.then(toolLoop({ tools: [] }))
      }
    }

    const { output } = await new ChatAgent().invoke({ messages: history })

    expect(script.calls[0].messages).toEqual(trimConversation(history, { maxTokens: budget }))
    expect(output.messages).toHaveLength(history.length + 1)
  })

  it('is declared on an agent with `workingMemory`: this.llm trims to it, the state keeps the whole history', async () => {
    const { manager, script } = fakeManager()
    const resolve = () => manager
    setLlmManagerResolver(resolve)
    try {
      const ChatState = defineState({ messages: reducers.messages() })
      class RememberingAgent extends Agent<typeof ChatState> {
        state = ChatState
        workingMemory = { maxTokens: budget }
        build(graph: GraphBuilder<typeof ChatState>) {
          return graph.then(toolLoop({ tools: [] }))
        }
      }
      class ForgetfulAgent extends Agent<typeof ChatState> {
        state = ChatState
        build(graph: GraphBuilder<typeof ChatState>) {
          return graph.then(toolLoop({ tools: [] }))
        }
      }

      const { output } = await new RememberingAgent().invoke({ messages: history })
      await new ForgetfulAgent().invoke({ messages: history })

      expect(script.calls[0].messages).toEqual(trimConversation(history, { maxTokens: budget }))
      expect(script.calls[0].messages.length).toBeLessThan(history.length)
      expect(output.messages).toHaveLength(history.length + 1)
      // Without the declaration nothing is trimmed.
      expect(script.calls[1].messages).toHaveLength(history.length)
    } finally {
      clearLlmManagerResolver(resolve)
    }
  })
})
