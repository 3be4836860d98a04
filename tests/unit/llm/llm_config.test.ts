import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import llmConfig from '../../../config/llm'
import { loadConfig } from '../../../framework/config'
import { Application } from '../../../framework/foundation/application'
import { LlmManager, llmProvider, resolveLlm, resolveLlmManager } from '../../../framework/llm'
import { httpToolsAllowPrivate } from '../../../framework/tools/http_tool_settings'
import { createLogger } from '../../../framework/logger'
import { redisProvider } from '../../../framework/redis/redis_provider'

const definitions = { llm: llmConfig }

function problems(env: Record<string, string>): Array<{ key: string }> {
  try {
    loadConfig(definitions, env)
    return []
  } catch (error) {
    return (error as { details: Array<{ key: string }> }).details
  }
}

describe('config/llm.ts', () => {
  it('defaults to the offline fake provider with caching off and private HTTP targets refused', () => {
    const { values } = loadConfig(definitions, {})
    expect(values.llm).toMatchObject({
      provider: 'fake',
      temperature: 0.7,
      maxTokens: 1024,
      timeoutSeconds: 60,
      maxRetries: 2,
      cache: { driver: 'off', ttlSeconds: 3600, maxEntries: 1000 },
      httpTools: { allowPrivate: false },
    })
  })

  it.each([
    [{ LLM_PROVIDER: 'openai' }, ['OPENAI_API_KEY']],
    [{ LLM_PROVIDER: 'anthropic', OPENAI_API_KEY: 'sk-x' }, ['ANTHROPIC_API_KEY']],
    [{ LLM_PROVIDER: 'openai-compatible' }, ['LLM_BASE_URL', 'LLM_MODEL']],
    [{ LLM_PROVIDER: 'ollama' }, ['LLM_MODEL']],
    [{ LLM_PROVIDER: 'gpt' }, ['LLM_PROVIDER']],
  ])('%j is a configuration error naming %j', (env, keys) => {
    expect(problems(env).map((p) => p.key)).toEqual(keys)
  })

  it('accepts each provider with what it needs', () => {
    expect(problems({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-x' })).toEqual([])
    expect(problems({ LLM_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: 'sk-ant-x' })).toEqual([])
    expect(problems({ LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: 'http://127.0.0.1:8080/v1', LLM_MODEL: 'qwen' })).toEqual([])
    expect(problems({ LLM_PROVIDER: 'ollama', LLM_MODEL: 'llama3.1' })).toEqual([])
  })

  it('validates timeouts, retries and the cache driver', () => {
    expect(problems({ LLM_TIMEOUT: 'soon', LLM_MAX_RETRIES: '50', LLM_CACHE: 'disk', LLM_BASE_URL: 'ftp://x' }).map((p) => p.key).sort()).toEqual([
      'LLM_BASE_URL',
      'LLM_CACHE',
      'LLM_MAX_RETRIES',
      'LLM_TIMEOUT',
    ])
    expect(loadConfig(definitions, { LLM_TIMEOUT: '2m' }).values.llm).toMatchObject({ timeoutSeconds: 120 })
  })

  it('treats the API keys as secrets and warns about private HTTP targets in production', () => {
    expect(llmConfig.secrets).toEqual(expect.arrayContaining(['LLM_API_KEY', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY']))
    const { warnings } = loadConfig({ ...definitions, app: require('../../../config/app').default }, { APP_ENV: 'production', HTTP_TOOL_ALLOW_PRIVATE: 'true' })
    expect(warnings.map((w) => w.key)).toEqual(['HTTP_TOOL_ALLOW_PRIVATE'])
  })
})

describe('llmProvider', () => {
  let base: string
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'langvel-llm-'))
  })
  afterEach(() => rmSync(base, { recursive: true, force: true }))

  it("binds the manager and makes it what agents resolve until the application shuts down", async () => {
    const app = await Application.create({
      basePath: base,
      env: { LLM_PROVIDER: 'fake', LLM_MODEL: 'fake-app', HTTP_TOOL_ALLOW_PRIVATE: 'true' },
      providers: [redisProvider, llmProvider],
      logger: createLogger({ silent: true }),
    }).boot()

    const manager = app.make('llm')
    expect(manager).toBeInstanceOf(LlmManager)
    expect(resolveLlmManager()).toBe(manager)
    expect(resolveLlm().model).toBe('fake-app')
    expect(httpToolsAllowPrivate()).toBe(true)
    manager.fake().reply('from the app')
    await expect(resolveLlm().invoke('hi')).resolves.toMatchObject({ text: 'from the app' })

    await app.shutdown()
    expect(resolveLlmManager()).not.toBe(manager)
    expect(resolveLlm().provider).toBe('fake')
    expect(httpToolsAllowPrivate()).toBe(false)
  })

  it('refuses to boot with a provider missing its key', async () => {
    const app = Application.create({ basePath: base, env: { LLM_PROVIDER: 'anthropic' }, providers: [llmProvider], logger: createLogger({ silent: true }) })
    await expect(app.boot()).rejects.toMatchObject({ code: 'E_INVALID_CONFIG', details: [expect.objectContaining({ key: 'ANTHROPIC_API_KEY' })] })
  })
})
