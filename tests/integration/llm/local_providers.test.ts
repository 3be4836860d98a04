import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Application } from '../../../framework/foundation/application'
import { llmProvider } from '../../../framework/llm/llm_provider'
import { resolveLlm } from '../../../framework/llm/llm_runtime'
import { createLogger } from '../../../framework/logger'
import { getMetrics } from '../../../framework/observability'
import { redisProvider } from '../../../framework/redis/redis_provider'
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

  it('an application configured for openai-compatible sends agents\' calls to the server, with tokens in /metrics', async () => {
    const base = mkdtempSync(join(tmpdir(), 'langvel-llm-app-'))
    const app = await Application.create({
      basePath: base,
      env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: `${server.url}/v1`, LLM_MODEL: 'metrics-model' },
      providers: [redisProvider, llmProvider],
      logger: createLogger({ silent: true }),
    }).boot()
    try {
      expect(app.make('llm').describe().summary).toBe(`openai-compatible (model metrics-model, at ${server.url}/v1; cache off)`)

      await expect(resolveLlm().invoke('count my tokens')).resolves.toMatchObject({ text: 'Echo: count my tokens', usage: { promptTokens: 11, completionTokens: 7 } })

      const exposition = await getMetrics().render()
      expect(exposition).toContain('langvel_llm_tokens_total{provider="openai-compatible",model="metrics-model",kind="prompt"} 11')
      expect(exposition).toContain('langvel_llm_requests_total{provider="openai-compatible",model="metrics-model",outcome="success"} 1')
    } finally {
      await app.shutdown()
      rmSync(base, { recursive: true, force: true })
    }
  })
})
