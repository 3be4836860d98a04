import { ToolMessage, type BaseMessage } from '@langchain/core/messages'
import { z } from 'zod'
import { Agent, defineState, reducers, type GraphBuilder } from '../../../framework/agents'
import { getMetrics } from '../../../framework/observability'
import { toolLoop } from '../../../framework/llm'
import { defineTool } from '../../../framework/tools'
import { fakeManager } from './helpers'

const lookupOrder = defineTool({
  name: 'lookup_order',
  description: 'Find an order',
  schema: z.object({ orderId: z.number().int() }),
  handler: async ({ orderId }) => ({ orderId, status: 'shipped' }),
})

describe('toolLoop', () => {
  it('runs model -> tools -> model until the model answers, returning only the messages it added', async () => {
    const { llm, script } = fakeManager()
    script.toolCall('lookup_order', { orderId: 1 }, 'a').toolCall('lookup_order', { orderId: 2 }, 'b').reply('Both shipped.')

    const { messages } = await toolLoop({ llm, tools: [lookupOrder], system: 'You help with orders.' })({ messages: ['Orders 1 and 2?'] })

    expect(messages.map((m) => m.type)).toEqual(['ai', 'tool', 'ai', 'tool', 'ai'])
    expect(messages.at(-1)?.text).toBe('Both shipped.')
    expect(script.calls.map((c) => c.messages.length)).toEqual([2, 4, 6])
    expect(script.calls[0].messages[0].text).toBe('You help with orders.')
  })

  it('runs the tool calls of one step together and answers each by id', async () => {
    const { llm, script } = fakeManager()
    script.reply({ toolCalls: [{ name: 'lookup_order', args: { orderId: 1 }, id: 'x' }, { name: 'lookup_order', args: { orderId: 2 }, id: 'y' }] }).reply('done')

    const { messages } = await toolLoop({ llm, tools: [lookupOrder] })({ messages: ['both'] })

    expect(messages.filter((m): m is ToolMessage => m instanceof ToolMessage).map((m) => [m.tool_call_id, m.text])).toEqual([
      ['x', '{"orderId":1,"status":"shipped"}'],
      ['y', '{"orderId":2,"status":"shipped"}'],
    ])
  })

  it('sends tool failures back to the model as error results (bad input, unknown tool)', async () => {
    const { llm, script } = fakeManager()
    script.reply({ toolCalls: [{ name: 'lookup_order', args: { orderId: 'abc' }, id: 'bad' }, { name: 'delete_everything', args: {}, id: 'nope' }] }).reply('Sorry.')

    const { messages } = await toolLoop({ llm, tools: [lookupOrder] })({ messages: ['x'] })

    const results = messages.filter((m): m is ToolMessage => m instanceof ToolMessage)
    expect(results.map((m) => m.status)).toEqual(['error', 'error'])
    expect(results[0].text).toContain('E_TOOL_INPUT')
    expect(results[1].text).toContain('E_TOOL_NOT_FOUND')
    expect(messages.at(-1)?.text).toBe('Sorry.')
  })

  it('stops at maxSteps model calls, answering the pending calls "not run"', async () => {
    const { llm, script } = fakeManager()
    script.otherwise(() => ({ toolCalls: [{ name: 'lookup_order', args: { orderId: 1 } }] }))
    const handler = jest.spyOn(lookupOrder, 'call')

    const { messages } = await toolLoop({ llm, tools: [lookupOrder], maxSteps: 2 })({ messages: ['loop'] })

    expect(script.calls).toHaveLength(2)
    expect(handler).toHaveBeenCalledTimes(1)
    expect(messages.map((m) => m.type)).toEqual(['ai', 'tool', 'ai', 'tool'])
    expect((messages.at(-1) as ToolMessage).text).toMatch(/step limit \(2\)/)
    handler.mockRestore()
  })

  it('raises E_LOOP_LIMIT at the limit with onLimit: "error"', async () => {
    const { llm, script } = fakeManager()
    script.otherwise(() => ({ toolCalls: [{ name: 'lookup_order', args: { orderId: 1 } }] }))

    await expect(toolLoop({ llm, tools: [lookupOrder], maxSteps: 1, onLimit: 'error' })({ messages: ['loop'] })).rejects.toMatchObject({ code: 'E_LOOP_LIMIT' })
  })

  it('records tool executions in the metrics', async () => {
    const { llm, script } = fakeManager()
    script.toolCall('lookup_order', { orderId: 5 }).reply('ok')
    const before = (await getMetrics().toolExecutions.get()).values.find((v) => v.labels.tool === 'lookup_order' && v.labels.outcome === 'success')?.value ?? 0

    await toolLoop({ llm, tools: [lookupOrder] })({ messages: ['x'] })

    const after = (await getMetrics().toolExecutions.get()).values.find((v) => v.labels.tool === 'lookup_order' && v.labels.outcome === 'success')?.value ?? 0
    expect(after - before).toBe(1)
  })

  it('refuses a bad step limit and a state without messages', async () => {
    expect(() => toolLoop({ tools: [lookupOrder], maxSteps: 0 })).toThrow(expect.objectContaining({ code: 'E_INVALID_INPUT' }))
    await expect(toolLoop({ tools: [lookupOrder] })({ messages: [] })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
  })

  it("uses the agent's own model (this.llm) when given none", async () => {
    const { llm, script } = fakeManager()
    script.reply('from the agent model')
    const node = toolLoop({ tools: [lookupOrder] })

    const { messages } = await node.call({ llm }, { messages: ['hi'] })

    expect(messages.at(-1)?.text).toBe('from the agent model')
    expect(script.calls).toHaveLength(1)
  })

  it('is a node of the fluent builder: an agent answers with tools on the fake driver', async () => {
    const { llm } = fakeManager()
    const SupportState = defineState({ messages: reducers.messages(), answer: z.string().optional() })

    class SupportAgent extends Agent<typeof SupportState> {
      state = SupportState
      build(graph: GraphBuilder<typeof SupportState>) {
        return graph.then(toolLoop({ llm, tools: [lookupOrder], maxSteps: 3 })).then((state) => ({ answer: (state.messages.at(-1) as BaseMessage).text }))
      }
    }

    const agent = new SupportAgent()
    const { output } = await agent.invoke({ messages: [{ role: 'user', content: 'Where is my order 42?' }] })

    expect(output.messages.map((m: BaseMessage) => m.type)).toEqual(['human', 'ai', 'tool', 'ai'])
    expect(output.answer).toBe('Here is what I found. lookup_order: {"orderId":42,"status":"shipped"}')
    expect(agent.toMermaid()).toContain('tool_loop')
  })
})
