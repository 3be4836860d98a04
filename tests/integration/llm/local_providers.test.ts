import { ProviderServer } from './support/provider_server'
import { echoResponder } from './support/wire'
import { testManager } from './support/managers'

describe('openai-compatible and ollama providers', () => {
  let server: ProviderServer

  beforeAll(async () => {
    server = await ProviderServer.start(echoResponder)
  })
  afterEach(() => server.reset())
  afterAll(() => server.close())

  it('openai-compatible sends Chat Completions requests to LLM_BASE_URL with LLM_API_KEY', async () => {
    const { manager } = testManager({ provider: 'openai-compatible', baseUrl: `${server.url}/v1`, model: 'qwen2.5-7b', apiKey: 'local-key' })

    const response = await manager.llm().invoke('ping')

    expect(response.text).toBe('Echo: ping')
    expect(server.requests[0]).toMatchObject({ path: '/v1/chat/completions', body: expect.objectContaining({ model: 'qwen2.5-7b' }) })
    expect(server.requests[0].headers.authorization).toBe('Bearer local-key')
  })

  it('openai-compatible streams from a local server', async () => {
    const { manager } = testManager({ provider: 'openai-compatible', baseUrl: `${server.url}/v1`, model: 'local' })

    let text = ''
    for await (const event of manager.llm().stream('stream this please')) if (event.type === 'text') text += event.text

    expect(text).toBe('Echo: stream this please')
  })

  it("ollama talks to the OpenAI-compatible endpoint under the server's /v1", async () => {
    const { manager } = testManager({ provider: 'ollama', baseUrl: server.url, model: 'llama3.1' })

    await expect(manager.llm().invoke('hi')).resolves.toMatchObject({ text: 'Echo: hi', provider: 'ollama', model: 'llama3.1' })
    expect(server.requests[0].path).toBe('/v1/chat/completions')
    expect(manager.describe()).toMatchObject({ provider: 'ollama', endpoint: `${server.url}/v1` })
  })
})
