import { z } from 'zod'
import { defineTool } from '../../../framework/tools'
import { ProviderServer } from './support/provider_server'
import { anthropicError, anthropicJson, anthropicSse, echoResponder } from './support/wire'
import { testManager } from './support/managers'

const PATH = '/v1/messages'

describe('anthropic provider against a local server speaking /v1/messages', () => {
  let server: ProviderServer

  beforeAll(async () => {
    server = await ProviderServer.start(echoResponder)
  })
  afterEach(() => server.reset())
  afterAll(() => server.close())

  const setup = (config = {}) => testManager({ provider: 'anthropic', anthropicApiKey: 'sk-ant-test', baseUrl: server.url, ...config })

  it('answers with the reported usage, the system prompt in its own field and the key in x-api-key', async () => {
    const { manager } = setup({ model: 'claude-test', maxTokens: 256 })
    server.queue(PATH, anthropicJson({ text: 'Bonjour', usage: { prompt: 17, completion: 2 } }))

    const response = await manager.llm().invoke('Say hello in French', { system: 'You are terse.' })

    expect(response).toMatchObject({ text: 'Bonjour', provider: 'anthropic', model: 'claude-test' })
    expect(response.usage).toEqual({ promptTokens: 17, completionTokens: 2, totalTokens: 19, estimated: false })
    const [request] = server.requests
    expect(request.headers['x-api-key']).toBe('sk-ant-test')
    expect(request.body).toMatchObject({ model: 'claude-test', max_tokens: 256, system: 'You are terse.' })
    expect(request.body.messages).toEqual([{ role: 'user', content: 'Say hello in French' }])
  })

  it('sends per-call model, temperature and max tokens on the wire', async () => {
    const { manager } = setup({ model: 'claude-default', temperature: 0.7, maxTokens: 1024 })

    await manager.llm().invoke('a', { model: 'claude-override', temperature: 0.2, maxTokens: 64 })
    await manager.llm().invoke('b')

    expect(server.requests.map((r) => [r.body.model, r.body.temperature, r.body.max_tokens])).toEqual([
      ['claude-override', 0.2, 64],
      ['claude-default', 0.7, 1024],
    ])
  })

  it('streams text deltas, then the usage from message_start and message_delta', async () => {
    const { manager } = setup()
    server.queue(PATH, anthropicSse(['Hello', ', ', 'world'], { usage: { prompt: 8, completion: 3 } }))

    const texts: string[] = []
    let usage
    for await (const event of manager.llm().stream('greet')) {
      if (event.type === 'text') texts.push(event.text)
      else usage = event.usage
    }

    expect(server.requests[0].body.stream).toBe(true)
    expect(texts.join('')).toBe('Hello, world')
    expect(texts.length).toBeGreaterThanOrEqual(3)
    expect(usage).toMatchObject({ promptTokens: 8, estimated: false })
    // LangChain adds message_start's output_tokens (1) to message_delta's count.
    expect((usage as unknown as { completionTokens: number }).completionTokens).toBeGreaterThanOrEqual(3)
  })

  it('offers tools and returns tool_use blocks as tool calls, plain and streamed', async () => {
    const { manager } = setup()
    const weather = defineTool({ name: 'get_weather', description: 'Weather of a city', schema: z.object({ city: z.string() }), handler: async () => 'sunny' })
    server.queue(PATH, anthropicJson({ text: 'Let me check.', toolCalls: [{ id: 'toolu_1', name: 'get_weather', args: { city: 'Paris' } }] }))
    server.queue(PATH, anthropicSse([], { toolCalls: [{ id: 'toolu_2', name: 'get_weather', args: { city: 'Oslo' } }] }))

    const plain = await manager.llm().invoke('Weather in Paris?', { tools: [weather] })
    let streamed
    for await (const event of manager.llm().stream('Weather in Oslo?', { tools: [weather] })) if (event.type === 'usage') streamed = event.response

    expect(plain.toolCalls).toEqual([expect.objectContaining({ id: 'toolu_1', name: 'get_weather', args: { city: 'Paris' } })])
    expect(plain.text).toBe('Let me check.')
    expect(streamed?.toolCalls).toEqual([expect.objectContaining({ id: 'toolu_2', name: 'get_weather', args: { city: 'Oslo' } })])
    expect(server.requests[0].body.tools).toEqual([expect.objectContaining({ name: 'get_weather', input_schema: expect.objectContaining({ type: 'object' }) })])
  })

  it('forces the result tool for structured output', async () => {
    const { manager } = setup()
    server.queue(PATH, anthropicJson({ toolCalls: [{ id: 'toolu_s', name: 'respond', args: { sentiment: 'positive' } }] }))

    await expect(manager.llm().structured('I love it', z.object({ sentiment: z.enum(['positive', 'negative']) }))).resolves.toEqual({ sentiment: 'positive' })
    expect(server.requests[0].body.tool_choice).toEqual({ type: 'tool', name: 'respond' })
  })

  it('honours Retry-After on a 429 and retries a 500', async () => {
    const { manager } = setup({ maxRetries: 2 })
    const delays: number[] = []
    const recorded = testManager(
      { provider: 'anthropic', anthropicApiKey: 'sk-ant-test', baseUrl: server.url, maxRetries: 2 },
      { sleep: async (ms) => void delays.push(ms) },
    )
    const date = new Date(Date.now() + 2000).toUTCString()
    server.queue(PATH, anthropicError(429, { 'retry-after': '2' }), anthropicError(429, { 'retry-after': date }), anthropicJson({ text: 'ok' }))

    await expect(recorded.manager.llm().invoke('x')).resolves.toMatchObject({ text: 'ok', attempts: 3 })
    expect(delays[0]).toBe(2000)
    // An HTTP date is a deadline: the wait is the time left until it (seconds precision).
    expect(delays[1]).toBeGreaterThan(500)
    expect(delays[1]).toBeLessThanOrEqual(2000)

    server.queue(PATH, anthropicError(529), anthropicJson({ text: 'recovered' }))
    await expect(manager.llm().invoke('y')).resolves.toMatchObject({ text: 'recovered', attempts: 2 })
  })

  it('gives up at once when Retry-After asks for longer than the longest allowed wait', async () => {
    const { manager } = setup({ maxRetries: 3 })
    server.queue(PATH, anthropicError(429, { 'retry-after': '3600' }))

    await expect(manager.llm().invoke('x')).rejects.toMatchObject({ code: 'E_LLM_RATE_LIMITED', details: expect.objectContaining({ attempts: 1, retryAfterSeconds: 3600 }) })
    expect(server.requests).toHaveLength(1)
  })
})
