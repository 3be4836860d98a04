import type { BaseChatModel } from '@langchain/core/language_models/chat_models'
import { LRUCache } from 'lru-cache'
import { E_UNKNOWN_DRIVER } from '../errors'
import { FakeChatModel } from './fake_chat_model'
import type { FakeScript } from './fake_script'
import { LLM_PROVIDERS, type ClientSettings, type LlmConfig, type LlmProviderName } from './types'

/** Models used when LLM_MODEL is empty. Local servers have no sensible default, so config requires one there. */
export const DEFAULT_MODELS: Record<LlmProviderName, string> = {
  fake: 'fake-model',
  openai: 'gpt-4o-mini',
  anthropic: 'claude-haiku-4-5',
  ollama: 'llama3.1',
  'openai-compatible': 'default',
}

const OLLAMA_URL = 'http://127.0.0.1:11434'

/** Ollama serves OpenAI's API under /v1 of its root URL. */
function ollamaBaseUrl(base: string | undefined): string {
  const root = (base ?? OLLAMA_URL).replace(/\/+$/, '')
  return root.endsWith('/v1') ? root : `${root}/v1`
}

export interface ChatClientOptions {
  config: LlmConfig
  fakeScript: () => FakeScript
  /** Distinct settings kept at once (default 32). */
  maxClients?: number
}

/**
 * Builds LangChain chat models and keeps one per distinct setting (provider,
 * model, temperature, max tokens) in a bounded LRU: a call with new settings
 * gets its own client without rebuilding one per call, and a long-lived
 * process trying many settings does not grow without limit.
 *
 * Provider SDKs are required lazily, so a project on one provider never loads
 * the others. LangChain's own retries are disabled (`maxRetries: 0`): the Llm
 * retries, so there is one policy, logged and measured.
 *
 * @example
 * const model = clients.get({ provider: 'openai', model: 'gpt-4o-mini', temperature: 0, maxTokens: 512 })
 */
export class ChatClients {
  private readonly cache: LRUCache<string, BaseChatModel>

  constructor(private readonly options: ChatClientOptions) {
    this.cache = new LRUCache({ max: options.maxClients ?? 32 })
  }

  get size(): number {
    return this.cache.size
  }

  get(settings: ClientSettings): BaseChatModel {
    const key = JSON.stringify([settings.provider, settings.model, settings.temperature, settings.maxTokens])
    let client = this.cache.get(key)
    if (!client) {
      client = this.create(settings)
      this.cache.set(key, client)
    }
    return client
  }

  clear(): void {
    this.cache.clear()
  }

  private create({ provider, model, temperature, maxTokens }: ClientSettings): BaseChatModel {
    const { config } = this.options
    switch (provider) {
      case 'fake':
        return new FakeChatModel({ model, temperature, maxTokens, script: this.options.fakeScript }) as unknown as BaseChatModel
      // Provider SDKs are required, not imported: a project on one provider never loads the others.
      case 'anthropic': {
        const { ChatAnthropic } = require('@langchain/anthropic') as typeof import('@langchain/anthropic')
        return new ChatAnthropic({
          model,
          temperature,
          maxTokens,
          apiKey: config.anthropicApiKey,
          maxRetries: 0,
          ...(config.baseUrl ? { anthropicApiUrl: config.baseUrl } : {}),
        }) as unknown as BaseChatModel
      }
      case 'openai': {
        const { ChatOpenAI } = require('@langchain/openai') as typeof import('@langchain/openai')
        return new ChatOpenAI({
          model,
          temperature,
          maxTokens,
          apiKey: config.openaiApiKey,
          maxRetries: 0,
          streamUsage: true,
          ...(config.baseUrl ? { configuration: { baseURL: config.baseUrl } } : {}),
        }) as unknown as BaseChatModel
      }
      case 'ollama':
      case 'openai-compatible': {
        // The Chat Completions class, not ChatOpenAI: it may switch some models
        // to OpenAI's Responses API, which local servers do not speak.
        const { ChatOpenAICompletions } = require('@langchain/openai') as typeof import('@langchain/openai')
        return new ChatOpenAICompletions({
          model,
          temperature,
          maxTokens,
          // The SDK refuses an empty key; local servers ignore it.
          apiKey: config.apiKey ?? (provider === 'ollama' ? 'ollama' : 'not-needed'),
          maxRetries: 0,
          streamUsage: true,
          configuration: { baseURL: provider === 'ollama' ? ollamaBaseUrl(config.baseUrl) : config.baseUrl },
        }) as unknown as BaseChatModel
      }
      default:
        throw new E_UNKNOWN_DRIVER('model provider', String(provider), [...LLM_PROVIDERS])
    }
  }
}

/** The base URL a provider talks to, for the start-up log. */
export function providerEndpoint(config: LlmConfig, provider: LlmProviderName = config.provider): string | undefined {
  if (provider === 'fake') return undefined
  if (provider === 'ollama') return ollamaBaseUrl(config.baseUrl)
  return config.baseUrl ?? (provider === 'openai' ? 'https://api.openai.com/v1' : provider === 'anthropic' ? 'https://api.anthropic.com' : undefined)
}
