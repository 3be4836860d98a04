import type { BaseChatModel } from '@langchain/core/language_models/chat_models'
import type { Redis } from 'ioredis'
import { E_INVALID_CONFIG, E_RUNTIME, E_UNKNOWN_DRIVER } from '../errors'
import type { Logger } from '../logger'
import { sleep as abortableSleep } from '../support/backoff'
import { ChatClients, DEFAULT_MODELS, providerEndpoint } from './chat_clients'
import { FakeScript } from './fake_script'
import { Llm } from './llm'
import { llmMetrics, type LlmMetrics } from './llm_metrics'
import type { RetryPolicy } from './llm_retry'
import { LlmRunner } from './llm_runner'
import { missingProviderSettings } from './provider_requirements'
import { RedisResponseCache } from './redis_response_cache'
import { MemoryResponseCache, type ResponseCacheStore } from './response_cache'
import { LLM_PROVIDERS, type ClientSettings, type LlmConfig, type LlmProviderName } from './types'

export interface LlmManagerOptions {
  config: LlmConfig
  logger?: Logger
  /** The Redis connection for LLM_CACHE=redis (the redis provider's). */
  redis?: () => Redis
  redisPrefix?: string
  /** Default: the process-wide metrics registry. */
  metrics?: LlmMetrics
  /** Backoff between attempts (default: 500 ms doubling, at most 20 s). */
  retry?: Partial<Omit<RetryPolicy, 'maxRetries'>>
  /** Replaces the wait between attempts (tests record the delays instead of sleeping). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Distinct client settings kept at once (default 32). */
  maxClients?: number
}

export interface LlmDescription {
  provider: LlmProviderName
  model: string
  /** Where requests go; undefined for the offline fake driver. */
  endpoint?: string
  cache: LlmConfig['cache']['driver']
  timeoutSeconds: number
  maxRetries: number
  /** One line for the start-up log. */
  summary: string
}

/** Settings of an application that configured nothing: the offline driver. */
export const OFFLINE_CONFIG: LlmConfig = {
  provider: 'fake',
  model: undefined,
  temperature: 0.7,
  maxTokens: 1024,
  baseUrl: undefined,
  apiKey: undefined,
  openaiApiKey: undefined,
  anthropicApiKey: undefined,
  timeoutSeconds: 60,
  maxRetries: 2,
  cache: { driver: 'off', ttlSeconds: 3600, maxEntries: 1000 },
  httpTools: { allowPrivate: false },
}

/**
 * Owns everything model calls share: the LangChain clients (one per distinct
 * setting, LRU-bounded), the response cache, the fake driver's script, the
 * retry policy and the metrics. Bound as `llm` in the container; agents reach
 * its default `Llm` as `this.llm`.
 *
 * @example
 * const manager = app.make('llm')
 * app.logger.info(`model: ${manager.describe().summary}`)
 * const { text } = await manager.llm().invoke('Hello')
 * const claude = manager.use('anthropic') // needs ANTHROPIC_API_KEY
 */
export class LlmManager {
  readonly config: LlmConfig
  private readonly clients: ChatClients
  private readonly runner: LlmRunner
  private readonly llms = new Map<LlmProviderName, Llm>()
  private script = new FakeScript()
  private store?: ResponseCacheStore

  constructor(private readonly options: LlmManagerOptions) {
    this.config = options.config
    if (this.config.cache.driver === 'redis' && !options.redis) throw new E_RUNTIME('LLM_CACHE=redis needs a Redis connection (the redis provider)')
    this.clients = new ChatClients({ config: this.config, fakeScript: () => this.script, maxClients: options.maxClients })
    this.runner = new LlmRunner({
      clients: this.clients,
      cache: () => this.cacheStore(),
      metrics: options.metrics ?? llmMetrics(),
      logger: options.logger,
      retry: { baseDelayMs: 500, maxDelayMs: 20_000, ...options.retry },
      sleep: options.sleep ?? abortableSleep,
    })
  }

  /** A manager on the offline fake driver, for code running without a booted application. */
  static offline(options: Partial<LlmManagerOptions> = {}): LlmManager {
    return new LlmManager({ ...options, config: options.config ?? OFFLINE_CONFIG })
  }

  get provider(): LlmProviderName {
    return this.config.provider
  }

  /** The configured provider's Llm (what agents get as `this.llm`). */
  llm(): Llm {
    return this.use(this.config.provider)
  }

  /**
   * The Llm of a provider, configured or not (its keys still come from
   * config/llm.ts). Unknown names are E_UNKNOWN_DRIVER; a provider whose key
   * is missing is E_INVALID_CONFIG naming the key: never another provider.
   */
  use(provider: string = this.config.provider): Llm {
    if (!LLM_PROVIDERS.includes(provider as LlmProviderName)) throw new E_UNKNOWN_DRIVER('model provider', provider, [...LLM_PROVIDERS])
    const name = provider as LlmProviderName
    let llm = this.llms.get(name)
    if (!llm) {
      const isDefault = name === this.config.provider
      const missing = missingProviderSettings({ ...this.config, model: isDefault ? this.config.model : DEFAULT_MODELS[name] }, name)
      if (missing.length > 0) throw new E_INVALID_CONFIG(missing.map((m) => `${m.key}: ${m.message}`), { details: missing })
      llm = new Llm(this.runner, {
        provider: name,
        model: (isDefault ? this.config.model : undefined) ?? DEFAULT_MODELS[name],
        temperature: this.config.temperature,
        maxTokens: this.config.maxTokens,
        timeoutMs: this.config.timeoutSeconds * 1000,
        maxRetries: this.config.maxRetries,
        cacheByDefault: this.config.cache.driver !== 'off',
        cacheTtlSeconds: this.config.cache.ttlSeconds,
      })
      this.llms.set(name, llm)
    }
    return llm
  }

  /**
   * The fake driver's script: queue replies, tool calls and failures, read
   * the recorded calls. Pass a script to replace the current one.
   */
  fake(script?: FakeScript): FakeScript {
    if (script) this.script = script
    return this.script
  }

  /** The LangChain chat model behind a setting, for what Langvel does not wrap. */
  chatModel(settings: Partial<ClientSettings> = {}): BaseChatModel {
    const llm = this.use(settings.provider)
    return this.clients.get({ provider: llm.provider, model: settings.model ?? llm.model, temperature: settings.temperature ?? this.config.temperature, maxTokens: settings.maxTokens ?? this.config.maxTokens })
  }

  /** The response cache: LLM_CACHE's driver, or an in-process one when LLM_CACHE=off and a call asks for caching. */
  cacheStore(): ResponseCacheStore {
    if (!this.store) {
      const { driver, maxEntries } = this.config.cache
      const redis = this.options.redis
      this.store = driver === 'redis' && redis ? new RedisResponseCache(redis, this.options.redisPrefix ?? 'langvel:') : new MemoryResponseCache(maxEntries)
    }
    return this.store
  }

  /** The active provider and settings, for the start-up log (no secrets). */
  describe(): LlmDescription {
    const provider = this.config.provider
    const model = this.config.model ?? DEFAULT_MODELS[provider]
    const endpoint = providerEndpoint(this.config)
    const where = endpoint ? `at ${endpoint}` : 'offline, deterministic'
    return {
      provider,
      model,
      endpoint,
      cache: this.config.cache.driver,
      timeoutSeconds: this.config.timeoutSeconds,
      maxRetries: this.config.maxRetries,
      summary: `${provider} (model ${model}, ${where}; cache ${this.config.cache.driver})`,
    }
  }

  /** Drops cached clients (the Redis connection belongs to the redis provider). */
  close(): void {
    this.clients.clear()
    this.llms.clear()
  }
}
