import { ToolMessage } from '@langchain/core/messages'
import { z } from 'zod'
import { Agent, defineState, type GraphBuilder } from '../../../framework/agents'
import { E_TIMEOUT } from '../../../framework/errors'
import { defineTool } from '../../../framework/tools'
import { toolLoop } from '../../../framework/llm'
import { clearLlmManagerResolver, setLlmManagerResolver } from '../../../framework/llm/llm_runtime'
import { ProviderServer } from './support/provider_server'
import { echoResponder, openaiError, openaiJson, openaiSse } from './support/wire'
import { counterValue, testManager } from './support/managers'

const PATH = '/v1/chat/completions'

describe('openai provider against a local server speaking /v1/chat/completions', () => {
  let server: ProviderServer

  beforeAll(async () => {
    server = await ProviderServer.start(echoResponder)
  })
  afterEach(() => server.reset())
  afterAll(() => server.close())

  const setup = (config = {}, options = {}) => testManager({ provider: 'openai', openaiApiKey: 'sk-test-key', baseUrl: `${server.url}/v1`, ...config }, options)

  it('answers a prompt with the reported usage, sending the configured model, temperature, max tokens and key', async () => {
    const { manager, metrics } = setup({ model: 'gpt-test', temperature: 0.3, maxTokens: 300 })
    server.queue(PATH, openaiJson({ text: 'Hello!', usage: { prompt: 21, completion: 3 } }))

    const response = await manager.llm().invoke('Hi there', { system: 'Be brief.' })

    expect(response).toMatchObject({ text: 'Hello!', provider: 'openai', model: 'gpt-test', cached: false, attempts: 1 })
    expect(response.usage).toEqual({ promptTokens: 21, completionTokens: 3, totalTokens: 24, estimated: false })
    const [request] = server.requests
    expect(request.headers.authorization).toBe('Bearer sk-test-key')
    expect(request.body).toMatchObject({ model: 'gpt-test', temperature: 0.3, max_tokens: 300 })
    expect(request.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi there' },
    ])
    await expect(counterValue(metrics, 'tokens', { provider: 'openai', model: 'gpt-test', kind: 'prompt' })).resolves.toBe(21)
    await expect(counterValue(metrics, 'tokens', { provider: 'openai', model: 'gpt-test', kind: 'completion' })).resolves.toBe(3)
    await expect(counterValue(metrics, 'requests', { provider: 'openai', model: 'gpt-test', outcome: 'success' })).resolves.toBe(1)
  })

  it('sends per-call model, temperature and max tokens on the wire, and the defaults again on the next call', async () => {
    const { manager } = setup({ model: 'gpt-default', temperature: 0.7, maxTokens: 1024 })
    const llm = manager.llm()

    await llm.invoke('one', { model: 'gpt-override', temperature: 0, maxTokens: 77 })
    await llm.invoke('two')
    await llm.with({ temperature: 1.5 }).invoke('three')

    expect(server.requests.map((r) => [r.body.model, r.body.temperature, r.body.max_tokens])).toEqual([
      ['gpt-override', 0, 77],
      ['gpt-default', 0.7, 1024],
      ['gpt-default', 1.5, 1024],
    ])
  })

  it('streams text chunks as they arrive, then the usage the server reported', async () => {
    const { manager } = setup()
    server.queue(PATH, openaiSse(['Once ', 'upon ', 'a time.'], { usage: { prompt: 9, completion: 4 } }))

    const events = []
    for await (const event of manager.llm().stream('Tell me a story')) events.push(event)

    expect(server.requests[0].body.stream).toBe(true)
    expect(events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text)).toEqual(['Once ', 'upon ', 'a time.'])
    const last = events.at(-1)
    expect(last?.type).toBe('usage')
    expect(last?.type === 'usage' && last.usage).toEqual({ promptTokens: 9, completionTokens: 4, totalTokens: 13, estimated: false })
    expect(last?.type === 'usage' && last.response.text).toBe('Once upon a time.')
  })

  it('offers our tools to the model and returns the tool calls it makes', async () => {
    const { manager } = setup()
    const lookup = defineTool({ name: 'lookup_order', description: 'Find an order by id', schema: z.object({ orderId: z.string() }), handler: async () => 'ok' })
    server.queue(PATH, openaiJson({ toolCalls: [{ id: 'call_1', name: 'lookup_order', args: { orderId: 'A-1' } }] }))

    const response = await manager.llm().invoke('Where is order A-1?', { tools: [lookup] })

    expect(response.toolCalls).toEqual([expect.objectContaining({ id: 'call_1', name: 'lookup_order', args: { orderId: 'A-1' } })])
    expect(server.requests[0].body.tools).toEqual([
      expect.objectContaining({ type: 'function', function: expect.objectContaining({ name: 'lookup_order', description: 'Find an order by id' }) }),
    ])
  })

  it('streams tool calls too', async () => {
    const { manager } = setup()
    server.queue(PATH, openaiSse([], { toolCalls: [{ id: 'call_9', name: 'lookup_order', args: { orderId: 'B-2' } }] }))
    const lookup = defineTool({ name: 'lookup_order', description: 'Find an order by id', schema: z.object({ orderId: z.string() }), handler: async () => 'ok' })

    let final
    for await (const event of manager.llm().stream('Where is B-2?', { tools: [lookup] })) if (event.type === 'usage') final = event.response

    expect(final?.toolCalls).toEqual([expect.objectContaining({ id: 'call_9', name: 'lookup_order', args: { orderId: 'B-2' } })])
  })

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    const { manager, metrics } = setup()
    server.queue(PATH, openaiError(429, { 'retry-after': '1' }), openaiJson({ text: 'finally' }))

    const response = await manager.llm().invoke('hello')

    expect(response).toMatchObject({ text: 'finally', attempts: 2 })
    expect(server.requests).toHaveLength(2)
    expect(server.requests[1].at - server.requests[0].at).toBeGreaterThanOrEqual(950)
    await expect(counterValue(metrics, 'retries', { provider: 'openai', reason: 'rate_limited' })).resolves.toBe(1)
  })

  it('gives up with E_LLM_RATE_LIMITED once the retries are used up', async () => {
    const { manager, metrics } = setup({ maxRetries: 2 })
    server.queue(PATH, openaiError(429, { 'retry-after': '0' }), openaiError(429, { 'retry-after': '0' }), openaiError(429, { 'retry-after': '0' }))

    const error = await manager.llm().invoke('hello').catch((e: unknown) => e)

    expect(error).toMatchObject({ code: 'E_LLM_RATE_LIMITED', details: expect.objectContaining({ attempts: 3, status: 429 }) })
    expect(server.requests).toHaveLength(3)
    await expect(counterValue(metrics, 'requests', { provider: 'openai', outcome: 'rate_limited' })).resolves.toBe(1)
  })

  it('retries a 500 with backoff, and reports E_LLM_UNAVAILABLE when it persists', async () => {
    const { manager } = setup({ maxRetries: 1 })
    server.queue(PATH, openaiError(500), openaiJson({ text: 'recovered' }))
    await expect(manager.llm().invoke('a')).resolves.toMatchObject({ text: 'recovered', attempts: 2 })

    server.queue(PATH, openaiError(503), openaiError(500))
    await expect(manager.llm().invoke('b')).rejects.toMatchObject({ code: 'E_LLM_UNAVAILABLE', details: expect.objectContaining({ status: 500, attempts: 2 }) })
    expect(server.requests).toHaveLength(4)
  })

  it('does not retry a 400: asking again would not help', async () => {
    const { manager } = setup({ maxRetries: 3 })
    server.queue(PATH, openaiError(400))

    await expect(manager.llm().invoke('a')).rejects.toMatchObject({ code: 'E_LLM_UNAVAILABLE', details: expect.objectContaining({ status: 400, attempts: 1 }) })
    expect(server.requests).toHaveLength(1)
  })

  it('retries a dropped connection', async () => {
    const { manager } = setup({ maxRetries: 1 })
    server.queue(PATH, { destroy: true }, openaiJson({ text: 'back' }))

    await expect(manager.llm().invoke('a')).resolves.toMatchObject({ text: 'back', attempts: 2 })
  })

  it("aborts the in-flight request when the run's signal is aborted", async () => {
    const { manager, metrics } = setup()
    server.queue(PATH, { hang: true })
    const controller = new AbortController()

    const call = manager.llm().invoke('slow', { signal: controller.signal })
    await server.waitForRequests(1)
    controller.abort()

    await expect(call).rejects.toMatchObject({ code: 'E_ABORTED' })
    await expect(server.requests[0].closed).resolves.toBe(true)
    // The call is settled, so no attempt can follow: the aborted one was the last.
    expect(server.requests).toHaveLength(1)
    await expect(counterValue(metrics, 'requests', { provider: 'openai', outcome: 'cancelled' })).resolves.toBe(1)
  })

  it("closes the provider request of a node that passed no signal when the run is aborted or times out", async () => {
    // A long attempt timeout: only the run's signal can close the request within the test.
    const { manager } = setup({ timeoutSeconds: 600, maxRetries: 0 })
    const resolve = () => manager
    setLlmManagerResolver(resolve)
    const State = defineState({ query: z.string(), answer: z.string().optional() })
    class PingAgent extends Agent<typeof State> {
      state = State
      build(graph: GraphBuilder<typeof State>) {
        return graph.then(async () => ({ answer: (await this.llm.invoke('ping')).text }))
      }
    }
    const agent = new PingAgent()
    try {
      for (const [index, reason] of [[0, new Error('client went away')], [1, new E_TIMEOUT(30)]] as const) {
        server.queue(PATH, { hang: true })
        const controller = new AbortController()
        const run = agent.invoke({ query: 'q' }, { signal: controller.signal })
        await server.waitForRequests(index + 1)
        controller.abort(reason)

        await expect(run).rejects.toMatchObject({ code: index === 0 ? 'E_ABORTED' : 'E_TIMEOUT' })
        await expect(server.requests[index].closed).resolves.toBe(true)
      }
      expect(server.requests).toHaveLength(2)
    } finally {
      clearLlmManagerResolver(resolve)
    }
  })

  it('cancels the HTTP stream when the consumer stops reading early', async () => {
    const { manager } = setup()
    server.queue(PATH, openaiSse(['a ', 'b ', 'c ', 'd ', 'e ', 'f '], {}, 40))

    for await (const event of manager.llm().stream('long story')) {
      if (event.type === 'text') break
    }

    await expect(server.requests[0].closed).resolves.toBe(true)
  })

  it('times out an attempt that gets no answer, then fails with E_LLM_UNAVAILABLE', async () => {
    const { manager } = setup({ maxRetries: 0 })
    server.queue(PATH, { hang: true })

    await expect(manager.llm().invoke('slow', { timeoutMs: 150 })).rejects.toMatchObject({ code: 'E_LLM_UNAVAILABLE', details: expect.objectContaining({ reason: 'timeout' }) })
  })

  it('answers a repeated cached call without reaching the server; different settings miss', async () => {
    const { manager, metrics } = setup({ model: 'gpt-cache' })
    const llm = manager.llm()

    const first = await llm.invoke('cache me', { cache: true, temperature: 0 })
    const second = await llm.invoke('cache me', { cache: true, temperature: 0 })
    await llm.invoke('cache me', { cache: true, temperature: 0.5 })

    expect(first.cached).toBe(false)
    expect(second).toMatchObject({ cached: true, attempts: 0, text: first.text })
    expect(server.requests).toHaveLength(2)
    await expect(counterValue(metrics, 'cacheHits', { provider: 'openai', model: 'gpt-cache' })).resolves.toBe(1)
    await expect(counterValue(metrics, 'cacheMisses', { provider: 'openai', model: 'gpt-cache' })).resolves.toBe(2)
  })

  it('repairs an invalid structured answer once, sending the validation errors back', async () => {
    const { manager } = setup()
    server.queue(
      PATH,
      openaiJson({ toolCalls: [{ id: 'c1', name: 'respond', args: { category: 'weather', confidence: 2 } }] }),
      openaiJson({ toolCalls: [{ id: 'c2', name: 'respond', args: { category: 'billing', confidence: 0.9 } }] }),
    )
    const schema = z.object({ category: z.enum(['billing', 'technical']), confidence: z.number().min(0).max(1) })

    await expect(manager.llm().structured('My invoice is wrong', schema)).resolves.toEqual({ category: 'billing', confidence: 0.9 })

    expect(server.requests).toHaveLength(2)
    expect(server.requests[0].body.tool_choice).toEqual({ type: 'function', function: { name: 'respond' } })
    const repair = server.requests[1].body.messages.at(-1)
    expect(repair).toMatchObject({ role: 'tool', tool_call_id: 'c1' })
    expect(repair.content).toContain('category')
  })

  it('fails with E_LLM_BAD_OUTPUT when the repaired answer is still invalid', async () => {
    const { manager } = setup()
    const bad = () => openaiJson({ toolCalls: [{ id: 'c', name: 'respond', args: { category: 'nope' } }] })
    server.queue(PATH, bad(), bad())

    const error = await manager.llm().structured('x', z.object({ category: z.enum(['billing']) })).catch((e: unknown) => e)

    expect(error).toMatchObject({ code: 'E_LLM_BAD_OUTPUT' })
    expect((error as { details: { issues: Array<{ path: string }> } }).details.issues[0].path).toBe('category')
    expect(server.requests).toHaveLength(2)
  })

  it('runs a tool loop: the model calls a tool, gets its result, then answers', async () => {
    const { manager } = setup()
    const handler = jest.fn(async ({ orderId }: { orderId: string }) => ({ orderId, status: 'shipped' }))
    const lookup = defineTool({ name: 'lookup_order', description: 'Find an order', schema: z.object({ orderId: z.string() }), handler })
    server.queue(PATH, openaiJson({ toolCalls: [{ id: 'call_1', name: 'lookup_order', args: { orderId: 'A-1' } }] }), openaiJson({ text: 'Order A-1 has shipped.' }))

    const node = toolLoop({ llm: manager.llm(), tools: [lookup], maxSteps: 3 })
    const { messages } = await node({ messages: [{ role: 'user', content: 'Where is A-1?' }] })

    expect(handler).toHaveBeenCalledTimes(1)
    expect(messages.map((m) => m.type)).toEqual(['ai', 'tool', 'ai'])
    expect(messages.at(-1)?.text).toBe('Order A-1 has shipped.')
    expect(server.requests[1].body.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_1', content: '{"orderId":"A-1","status":"shipped"}' })
  })

  it('stops the tool loop at the step limit when the model keeps calling tools', async () => {
    const { manager } = setup()
    const handler = jest.fn(async () => 'still working')
    const poll = defineTool({ name: 'poll', description: 'Poll a job', schema: z.object({}), handler })
    const call = (i: number) => openaiJson({ toolCalls: [{ id: `call_${i}`, name: 'poll', args: {} }] })
    server.queue(PATH, call(1), call(2), call(3), call(4))

    const { messages } = await toolLoop({ llm: manager.llm(), tools: [poll], maxSteps: 3 })({ messages: ['Poll until done'] })

    expect(server.requests).toHaveLength(3)
    expect(handler).toHaveBeenCalledTimes(2)
    const last = messages.at(-1) as ToolMessage
    expect(last).toBeInstanceOf(ToolMessage)
    expect(last.tool_call_id).toBe('call_3')
    expect(last.status).toBe('error')
  })
})
