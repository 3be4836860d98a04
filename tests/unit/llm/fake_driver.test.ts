import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages'
import { z } from 'zod'
import { FakeChatModel, FakeScript } from '../../../framework/llm'
import { sampleFromSchema } from '../../../framework/llm/fake_default_reply'
import { defineTool } from '../../../framework/tools'
import { fakeManager } from './helpers'

const lookupOrder = defineTool({
  name: 'lookup_order',
  description: 'Find an order',
  schema: z.object({ orderId: z.number().int(), note: z.string().optional() }),
  handler: async ({ orderId }) => ({ orderId, status: 'shipped' }),
})

describe('fake driver', () => {
  it('answers deterministically with no script: an echo of the last user message', async () => {
    const { llm } = fakeManager()

    const first = await llm.invoke([new HumanMessage('first'), new AIMessage('ok'), new HumanMessage('Where is my parcel?')])
    const again = await llm.invoke('Where is my parcel?')

    expect(first.text).toBe('Echo: Where is my parcel?')
    expect(again.text).toBe(first.text)
  })

  it('replays scripted replies in order, then falls back to the default', async () => {
    const { llm, script } = fakeManager()
    script.reply('one', { text: 'two' }).respond((call) => `three after ${call.messages.length} message(s)`)

    const texts = []
    for (let i = 0; i < 4; i++) texts.push((await llm.invoke('hi')).text)

    expect(texts).toEqual(['one', 'two', 'three after 1 message(s)', 'Echo: hi'])
    expect(script.pending).toBe(0)
  })

  it('records each call: messages, bound tools, tool choice and the per-call settings', async () => {
    const { llm, script } = fakeManager({ model: 'fake-a', temperature: 0.7, maxTokens: 1024 })

    await llm.invoke('q', { model: 'fake-b', temperature: 0.1, maxTokens: 9, system: 'sys', tools: [lookupOrder], toolChoice: 'none' })

    expect(script.calls[0]).toMatchObject({ model: 'fake-b', temperature: 0.1, maxTokens: 9, toolChoice: 'none', streaming: false })
    expect(script.calls[0].messages.map((m) => m.type)).toEqual(['system', 'human'])
    expect(script.calls[0].tools).toEqual([expect.objectContaining({ name: 'lookup_order', description: 'Find an order' })])
  })

  it('makes scripted tool calls', async () => {
    const { llm, script } = fakeManager()
    script.toolCall('lookup_order', { orderId: 7 }, 'call_7')

    const response = await llm.invoke('order 7?', { tools: [lookupOrder] })

    expect(response.text).toBe('')
    expect(response.toolCalls).toEqual([{ name: 'lookup_order', args: { orderId: 7 }, id: 'call_7', type: 'tool_call' }])
  })

  it('calls a bound tool named in the question unscripted, with arguments built from its schema, then reports the result', async () => {
    const { llm } = fakeManager()

    const ask = await llm.invoke('Where is my order 42?', { tools: [lookupOrder] })
    const report = await llm.invoke(
      [new HumanMessage('Where is my order 42?'), ask.message, new ToolMessage({ tool_call_id: ask.toolCalls[0].id ?? '', name: 'lookup_order', content: '{"status":"shipped"}' })],
      { tools: [lookupOrder] },
    )

    expect(ask.toolCalls).toEqual([expect.objectContaining({ name: 'lookup_order', args: { orderId: 42 } })])
    expect(report.text).toBe('Here is what I found. lookup_order: {"status":"shipped"}')
  })

  it('streams word by word, the chunks joining into the full text, with usage last', async () => {
    const { llm, script } = fakeManager()
    script.reply({ text: 'one two  three', usage: { promptTokens: 5, completionTokens: 3 } })

    const chunks: string[] = []
    let usage
    for await (const event of llm.stream('count')) {
      if (event.type === 'text') chunks.push(event.text)
      else usage = event.usage
    }

    expect(chunks).toEqual(['one ', 'two  ', 'three'])
    expect(usage).toEqual({ promptTokens: 5, completionTokens: 3, totalTokens: 8, estimated: false })
    expect(script.calls[0].streaming).toBe(true)
  })

  it('without reported usage, counts tokens locally (marked as estimated)', async () => {
    const { llm } = fakeManager()

    const { usage } = await llm.invoke('hello world')

    expect(usage.estimated).toBe(true)
    expect(usage.promptTokens).toBeGreaterThan(2)
    expect(usage.completionTokens).toBe(llm.countTokens('Echo: hello world'))
    expect(usage.totalTokens).toBe(usage.promptTokens + usage.completionTokens)
  })

  it('fails like a provider when scripted to (status and Retry-After reach the retry policy)', async () => {
    const delays: number[] = []
    const { llm, script } = fakeManager({ maxRetries: 1 }, { sleep: async (ms) => void delays.push(ms) })
    script.fail(429, { retryAfter: 1 }).reply('after the wait')

    await expect(llm.invoke('x')).resolves.toMatchObject({ text: 'after the wait', attempts: 2 })
    expect(delays).toEqual([1000])
  })

  it('is a LangChain chat model usable on its own', async () => {
    const script = new FakeScript().reply('direct')
    const model = new FakeChatModel({ model: 'm', temperature: 0, maxTokens: 10, script: () => script })

    const message = await model.invoke('hi')

    expect(message.text).toBe('direct')
    expect(model._llmType()).toBe('langvel-fake')
  })

  it('resets a script: queue, calls and fallback', async () => {
    const { llm, script } = fakeManager()
    script.reply('queued').otherwise(() => 'custom')
    await llm.invoke('a')
    script.reset()

    await expect(llm.invoke('b')).resolves.toMatchObject({ text: 'Echo: b' })
    expect(script.calls).toHaveLength(1)
  })

  it('builds values that satisfy common JSON schemas from the user text', () => {
    const schema = z.toJSONSchema(
      z.object({ city: z.string(), days: z.number().int(), units: z.enum(['metric', 'imperial']), tags: z.array(z.string()), urgent: z.boolean(), note: z.string().optional() }),
    )
    const value = sampleFromSchema(schema as Record<string, unknown>, 'weather in Oslo for 3 days')

    expect(value).toEqual({ city: 'weather in Oslo for 3 days', days: 3, units: 'metric', tags: [], urgent: false })
    expect(sampleFromSchema(schema as Record<string, unknown>, 'Oslo in Imperial units')).toMatchObject({ units: 'imperial' })
  })
})
